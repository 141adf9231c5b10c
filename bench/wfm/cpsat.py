#!/usr/bin/env python3
"""The roster benchmark's reference: OR-Tools CP-SAT on the same instance JSON as kefu.

Builds the same model as kefu's solver (crates/wfm/src/roster): the same static rules
(leave, unavailability, skills, allowed templates, on-site/on-call, locked cells), the same
linking rules (one shift a day, weekly maximum, rest between shifts, consecutive days) and the
same lexicographic objective (uncovered, then excess, then unfairness as defined in score.rs)
as one weighted sum whose weights keep the order strict. Prints the best score found and
writes the roster in kefu's JSON shape so `roster_bench score` can re-check it with kefu's
own rules.

usage: cpsat.py INSTANCE.json --seconds S [--workers W] [--out ROSTER.json]
"""

import argparse
import json
import sys
import time

from ortools.sat.python import cp_model

DAY = 1440
SPREAD_WEIGHT = 120
ROTATION_WEIGHT = 60


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("instance")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out")
    args = ap.parse_args()
    inst = json.load(open(args.instance))
    started = time.time()

    days = inst["days"]
    step = inst["interval_minutes"]
    ipd = DAY // step
    slots = days * ipd
    nq = len(inst["queues"])
    tpls = inst["templates"]
    agents = inst["agents"]
    weeks = (days + 6) // 7

    def worked(t):
        return t["length_minutes"] - sum(b["minutes"] for b in t["breaks"])

    def covered(t):
        out = []
        for k in range(t["length_minutes"] // step):
            m = k * step
            if not any(b["offset_minutes"] <= m < b["offset_minutes"] + b["minutes"] for b in t["breaks"]):
                out.append(k)
        return out

    offsets = [covered(t) for t in tpls]
    first = [t["start_minute"] // step for t in tpls]
    evening = [t["start_minute"] + t["length_minutes"] > inst["fairness"]["evening_after_minute"] for t in tpls]

    m = cp_model.CpModel()
    x = {}  # (a, d, t, q) -> BoolVar
    by_cell = {}
    cover = [[[] for _ in range(slots)] for _ in range(nq)]
    for ai, a in enumerate(agents):
        fixed = {f["day"]: f for f in a["fixed"]}
        allowed = set(a["allowed_templates"]) if a["allowed_templates"] else set(range(len(tpls)))
        queues = sorted(set(a["queues"]))
        for d in range(days):
            opts = []
            if d in fixed:
                f = fixed[d]
                if f["template"] is not None:
                    opts = [(f["template"], f["queue"])]
            elif d not in a["leave_days"]:
                for ti, t in enumerate(tpls):
                    if ti not in allowed or not (a["on_call"] if t["on_call"] else a["on_site"]):
                        continue
                    if worked(t) > a["max_week_minutes"]:
                        continue
                    s, e = d * DAY + t["start_minute"], d * DAY + t["start_minute"] + t["length_minutes"]
                    if any(s < u["day"] * DAY + u["end_minute"] and u["day"] * DAY + u["start_minute"] < e
                           for u in a["unavailable"]):
                        continue
                    opts.extend((ti, q) for q in queues)
            cell = []
            for ti, q in opts:
                v = m.NewBoolVar(f"x{ai}_{d}_{ti}_{q}")
                x[ai, d, ti, q] = v
                cell.append((ti, q, v))
                base = d * ipd + first[ti]
                for k in offsets[ti]:
                    if base + k < slots:
                        cover[q][base + k].append(v)
            by_cell[ai, d] = cell
            if cell:
                if d in fixed:
                    m.Add(sum(v for _, _, v in cell) == 1)
                else:
                    m.AddAtMostOne(v for _, _, v in cell)

    work = {}
    for ai, a in enumerate(agents):
        for d in range(days):
            w = m.NewBoolVar(f"w{ai}_{d}")
            m.Add(w == sum(v for _, _, v in by_cell[ai, d]))
            work[ai, d] = w
        k = a["max_consecutive_days"]
        for d0 in range(days - k):
            m.Add(sum(work[ai, d] for d in range(d0, d0 + k + 1)) <= k)
        rest = a["min_rest_minutes"]
        for d in range(days):
            for ti, _, v in by_cell[ai, d]:
                end = d * DAY + tpls[ti]["start_minute"] + tpls[ti]["length_minutes"]
                d2 = d + 1
                while d2 < days and d2 * DAY < end + rest:
                    for tj, _, u in by_cell[ai, d2]:
                        if d2 * DAY + tpls[tj]["start_minute"] < end + rest:
                            m.AddBoolOr([v.Not(), u.Not()])
                    d2 += 1

    # Coverage, uncovered and excess per slot.
    under_terms, over_terms = [], []
    max_excess = 0
    for q in range(nq):
        for s in range(slots):
            need = inst["demand"][q][s]
            vs = cover[q][s]
            if not vs:
                under_terms.append(need)
                continue
            under = m.NewIntVar(0, need, "")
            over = m.NewIntVar(0, len(vs), "")
            m.Add(sum(vs) - need == over - under)
            under_terms.append(under)
            over_terms.append(over)
            max_excess += len(vs)

    # Unfairness: hours off contract, spreads, rotation.
    fair_terms = []
    max_fair = 0
    week_exprs = []  # (worked minutes expression, target) for the exact score
    counts = [[], [], []]
    for ai, a in enumerate(agents):
        allowed = set(a["allowed_templates"]) if a["allowed_templates"] else set(range(len(tpls)))
        ok = [ti for ti in allowed if (a["on_call"] if tpls[ti]["on_call"] else a["on_site"])]
        eligible = [any(evening[t] for t in ok), any(tpls[t]["on_call"] for t in ok), bool(ok)]
        for w in range(weeks):
            wd = range(w * 7, min(w * 7 + 7, days))
            present = sum(1 for d in wd if d not in a["leave_days"])
            target = a["contract_week_minutes"] * present // 7
            mins = sum(worked(tpls[ti]) * v for d in wd for ti, _, v in by_cell[ai, d])
            top = sum(max([worked(tpls[ti]) for ti, _, _ in by_cell[ai, d]] or [0]) for d in wd)
            top = max(top, target)
            m.Add(mins <= a["max_week_minutes"])
            week_exprs.append((mins, target))
            dev = m.NewIntVar(0, top, "")
            m.Add(dev >= mins - target)
            m.Add(dev >= target - mins)
            fair_terms.append(dev)
            max_fair += top
        kinds = [
            [v for d in range(days) for ti, _, v in by_cell[ai, d] if evening[ti]],
            [v for d in range(days) for ti, _, v in by_cell[ai, d] if tpls[ti]["on_call"]],
            [v for d in range(days) for _, _, v in by_cell[ai, d] if inst["special_days"][d]],
        ]
        for k in range(3):
            if eligible[k]:
                counts[k].append(sum(kinds[k]))
    for k in range(3):
        if counts[k]:
            hi = m.NewIntVar(0, days, "")
            lo = m.NewIntVar(0, days, "")
            for c in counts[k]:
                m.Add(hi >= c)
                m.Add(lo <= c)
            fair_terms.append(SPREAD_WEIGHT * (hi - lo))
            max_fair += SPREAD_WEIGHT * days
    cycle = inst["fairness"]["rotation_weeks"] * 7
    n = len(agents)
    if 0 < cycle < days:
        for ai in range(n):
            for d in range(cycle, days):
                mis = m.NewBoolVar("")
                for ti in range(len(tpls)):
                    mine = sum(v for tj, _, v in by_cell[ai, d] if tj == ti)
                    theirs = sum(v for tj, _, v in by_cell[(ai + 1) % n, d - cycle] if tj == ti)
                    m.Add(mis >= mine - theirs)
                    m.Add(mis >= theirs - mine)
                fair_terms.append(ROTATION_WEIGHT * mis)
                max_fair += ROTATION_WEIGHT

    w_excess = max_fair + 1
    w_under = w_excess * (max_excess + 1)
    uncovered, excess, unfair = sum(under_terms), sum(over_terms), sum(fair_terms)
    m.Minimize(w_under * uncovered + w_excess * excess + unfair)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = args.seconds
    solver.parameters.num_workers = args.workers
    solver.parameters.random_seed = 1
    status = solver.Solve(m)
    elapsed = time.time() - started
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        print(json.dumps({"solver": "cpsat", "status": solver.StatusName(status), "seconds": round(elapsed, 2)}))
        return 1
    # The score of the roster itself (slack variables of a non-optimal solution may be loose).
    u = e = 0
    for q in range(nq):
        for s in range(slots):
            got = sum(solver.Value(v) for v in cover[q][s])
            need = inst["demand"][q][s]
            u += max(0, need - got)
            e += max(0, got - need)
    f = sum(abs(solver.Value(mins) - target) for mins, target in week_exprs)
    for k in range(3):
        if counts[k]:
            vals = [solver.Value(c) for c in counts[k]]
            f += SPREAD_WEIGHT * (max(vals) - min(vals))
    if 0 < cycle < days:
        def tpl(ai, d):
            return next((ti for ti, _, v in by_cell[ai, d] if solver.Value(v)), None)
        f += ROTATION_WEIGHT * sum(
            tpl(ai, d) != tpl((ai + 1) % n, d - cycle) for ai in range(n) for d in range(cycle, days))
    bound = solver.BestObjectiveBound()
    print(json.dumps({
        "solver": "cpsat", "status": solver.StatusName(status),
        "uncovered": u, "excess": e, "unfairness": f,
        "lower_bound_uncovered": int(bound // w_under),
        "seconds": round(elapsed, 2),
    }))
    if args.out:
        shifts = [[None] * days for _ in agents]
        for (ai, d, ti, q), v in x.items():
            if solver.Value(v):
                shifts[ai][d] = {"template": ti, "queue": q}
        json.dump({"shifts": shifts}, open(args.out, "w"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
