#!/usr/bin/env python3
"""How far is a roster from the best possible? An exact look with the HiGHS MIP solver.

Analysis only, not part of the benchmark: it answers whether the gap between kefu's roster
and its lower bound is the search's or the bound's. It builds the roster problem with every
hard rule of kefu's solver (crates/wfm/src/roster: leave, unavailability, skills, allowed
templates, on-site/on-call, one shift a day, rest between shifts, consecutive days, weekly
maximum), with uncovered demand as the only objective, so HiGHS's dual bound is a bound on
uncovered demand. Locked cells are not modelled (the benchmark instances have none).

- `--days FIRST:COUNT` frees only those days and keeps every other cell of ROSTER as it is:
  the best re-plan of a window, against which the local search's roster can be judged.
- without `--days`, the whole horizon is free and ROSTER is HiGHS's starting solution.

With `--fewest-changes` uncovered demand comes first and the number of changed cells second:
the smallest change that reaches the best coverage, which shows what kind of move the local
search misses.

Writes the best roster found in kefu's JSON shape (`--out`), so `roster_bench score` can
re-check it with kefu's own rules.

usage: highs.py INSTANCE.json ROSTER.json [--days FIRST:COUNT] [--seconds S] [--out R.json]
                [--fewest-changes]
needs: pip install highspy numpy
"""

import argparse
import json

import highspy
import numpy as np

DAY = 1440
# With --fewest-changes, one uncovered agent-interval outweighs this many changed cells.
CHANGE_WEIGHT = 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("instance")
    ap.add_argument("roster")
    ap.add_argument("--days")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--out")
    ap.add_argument("--fewest-changes", action="store_true")
    args = ap.parse_args()
    inst = json.load(open(args.instance))
    roster = json.load(open(args.roster))["shifts"]
    days = inst["days"]
    if args.days:
        first, count = (int(x) for x in args.days.split(":"))
        free = set(range(first, min(days, first + count)))
    else:
        free = set(range(days))
    m = Model(inst, roster, free)
    h = highspy.Highs()
    h.setOptionValue("time_limit", args.seconds)
    h.setOptionValue("threads", 1)
    h.setOptionValue("output_flag", False)
    h.passModel(m.lp(CHANGE_WEIGHT if args.fewest_changes else 0))
    start, before = m.start()
    solution = highspy.HighsSolution()
    solution.col_value = list(start)
    solution.value_valid = True
    h.setSolution(solution)
    h.run()
    info = h.getInfo()
    x = h.getSolution().col_value
    after = m.solved(x)
    changed = [(a, d) for a, row in enumerate(roster) for d in free if row[d] != after[a][d]]
    if args.fewest_changes:
        for a, d in changed:
            print(f"agent {a} day {d}: {m.code(roster[a][d])} -> {m.code(after[a][d])}")
    after_cov = m.coverage(after)
    need = np.array(inst["demand"])
    print(
        json.dumps(
            {
                "days": sorted(free) if args.days else "all",
                "roster_uncovered": before,
                "best_uncovered": int(np.maximum(need - after_cov, 0).sum()),
                "changed_cells": len(changed),
                "changed_agents": len({a for a, _ in changed}),
                "status": h.modelStatusToString(h.getModelStatus()),
            }
            # A bound on uncovered demand only when nothing else is in the objective.
            | ({} if args.fewest_changes else {"dual_bound": round(info.mip_dual_bound, 2)})
        )
    )
    if args.out:
        json.dump({"shifts": after}, open(args.out, "w"))


class Model:
    """Binary x per (agent, free day, template, queue) the static rules allow next to the
    fixed cells; continuous u per demanded (queue, slot) the free cells can reach."""

    def __init__(self, inst, roster, free):
        self.inst, self.roster, self.free = inst, roster, free
        step = inst["interval_minutes"]
        self.ipd = DAY // step
        self.slots = inst["days"] * self.ipd
        tpl = inst["templates"]
        self.offsets = [
            [
                k
                for k in range(t["length_minutes"] // step)
                if not any(
                    b["offset_minutes"] <= k * step < b["offset_minutes"] + b["minutes"]
                    for b in t["breaks"]
                )
            ]
            for t in tpl
        ]
        self.worked = [t["length_minutes"] - sum(b["minutes"] for b in t["breaks"]) for t in tpl]
        self.fixed = [[None if d in free else c for d, c in enumerate(row)] for row in roster]
        base = self.coverage(self.fixed)
        need = np.array(inst["demand"])
        self.cols, self.by_cell = [], {}
        for a, agent in enumerate(inst["agents"]):
            for d in sorted(free):
                for t in self.options(a, agent, d):
                    for q in sorted(set(agent["queues"])):
                        self.by_cell.setdefault((a, d), []).append(len(self.cols))
                        self.cols.append((a, d, t, q))
        reach = set()
        for a, d, t, q in self.cols:
            reach.update((q, s) for s in self.covered(d, t))
        self.rows = sorted(k for k in reach if need[k] > base[k])
        self.need = {k: int(need[k] - base[k]) for k in self.rows}
        # Demand the free cells cannot reach stays uncovered whatever they do.
        self.unreachable = int(np.maximum(need - base, 0).sum()) - sum(self.need.values())

    def options(self, a, agent, d):
        tpl = self.inst["templates"]
        row = self.fixed[a]
        if d in agent["leave_days"]:
            return []
        out = []
        for t, temp in enumerate(tpl):
            allowed = not agent["allowed_templates"] or t in agent["allowed_templates"]
            site = agent["on_call"] if temp["on_call"] else agent["on_site"]
            if not (allowed and site) or self.worked[t] > agent["max_week_minutes"]:
                continue
            start, end = self.span(d, t)
            if any(
                start < u["day"] * DAY + u["end_minute"] and u["day"] * DAY + u["start_minute"] < end
                for u in agent["unavailable"]
            ):
                continue
            rest = agent["min_rest_minutes"]
            before = [e for e in range(max(0, d - 2), d) if row[e]]
            after = [e for e in range(d + 1, min(len(row), d + 3)) if row[e]]
            if before and self.span(before[-1], row[before[-1]]["template"])[1] + rest > start:
                continue
            if after and end + rest > self.span(after[0], row[after[0]]["template"])[0]:
                continue
            out.append(t)
        return out

    def span(self, d, t):
        start = d * DAY + self.inst["templates"][t]["start_minute"]
        return start, start + self.inst["templates"][t]["length_minutes"]

    def covered(self, d, t):
        step = self.inst["interval_minutes"]
        first = d * self.ipd + self.inst["templates"][t]["start_minute"] // step
        return [first + k for k in self.offsets[t] if first + k < self.slots]

    def coverage(self, rows):
        cov = np.zeros((len(self.inst["queues"]), self.slots), dtype=np.int64)
        for row in rows:
            for d, c in enumerate(row):
                if c:
                    for s in self.covered(d, c["template"]):
                        cov[c["queue"], s] += 1
        return cov

    def code(self, cell):
        if cell is None:
            return "off"
        return f'{self.inst["templates"][cell["template"]]["code"]}/q{cell["queue"]}'

    def lp(self, change_weight):
        """Uncovered demand to minimize; with `change_weight`, uncovered demand weighs that much
        and every cell that differs from ROSTER weighs one."""
        nx, nu = len(self.cols), len(self.rows)
        index = {k: i for i, k in enumerate(self.rows)}
        lower, upper, entries = [], [], []

        def row(coefs, lo, hi):
            r = len(lower)
            lower.append(lo)
            upper.append(hi)
            entries.extend((r, j, v) for j, v in coefs)

        for i, k in enumerate(self.rows):
            row([(nx + i, 1)], self.need[k], highspy.kHighsInf)
        for j, (a, d, t, q) in enumerate(self.cols):
            for s in self.covered(d, t):
                if (q, s) in index:
                    entries.append((index[(q, s)], j, 1))
        agents = self.inst["agents"]
        for (a, d), js in self.by_cell.items():
            row([(j, 1) for j in js], 0, 1)
            rest = agents[a]["min_rest_minutes"]
            for e in (d + 1, d + 2):
                for j in js if (a, e) in self.by_cell else []:
                    end = self.span(d, self.cols[j][2])[1]
                    clash = [k for k in self.by_cell[(a, e)] if end + rest > self.span(e, self.cols[k][2])[0]]
                    if clash:
                        row([(j, 1)] + [(k, 1) for k in clash], 0, 1)
        days = self.inst["days"]
        for a, agent in enumerate(agents):
            most = agent["max_consecutive_days"]
            for first in range(0, max(0, days - most)):
                run = range(first, first + most + 1)
                if not any(d in self.free for d in run):
                    continue
                fixed = sum(1 for d in run if self.fixed[a][d])
                row([(j, 1) for d in run for j in self.by_cell.get((a, d), [])], 0, most - fixed)
            for week in {d // 7 for d in self.free}:
                week_days = range(week * 7, min(days, week * 7 + 7))
                fixed = sum(self.worked[self.fixed[a][d]["template"]] for d in week_days if self.fixed[a][d])
                coefs = [(j, self.worked[self.cols[j][2]]) for d in week_days for j in self.by_cell.get((a, d), [])]
                row(coefs, 0, agent["max_week_minutes"] - fixed)
        ent = np.array(entries, dtype=np.int64).reshape(-1, 3)
        ent = ent[np.lexsort((ent[:, 0], ent[:, 1]))]
        n = nx + nu
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, len(lower)
        weight = max(change_weight, 1)
        kept = np.zeros(nx)
        if change_weight:
            # A cell differs when its shift is dropped or another one is taken; per column:
            # -1 for ROSTER's own shift (dropping it costs one), +1 for any other.
            own = {(a, d, c["template"], c["queue"]) for a, row in enumerate(self.roster) for d, c in enumerate(row) if c and d in self.free}
            kept = np.array([-1.0 if c in own else 1.0 for c in self.cols]) / 2
        lp.col_cost_ = np.concatenate([kept, np.full(nu, float(weight))])
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.concatenate([np.ones(nx), np.full(nu, highspy.kHighsInf)])
        lp.row_lower_ = np.array(lower, dtype=float)
        lp.row_upper_ = np.array(upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.searchsorted(ent[:, 1], np.arange(n + 1)).astype(np.int32)
        lp.a_matrix_.index_ = ent[:, 0].astype(np.int32)
        lp.a_matrix_.value_ = ent[:, 2].astype(float)
        lp.offset_ = self.unreachable * weight
        lp.integrality_ = [highspy.HighsVarType.kInteger] * nx + [highspy.HighsVarType.kContinuous] * nu
        return lp

    def start(self):
        """ROSTER's cells as a starting solution, and its uncovered demand."""
        index = {c: j for j, c in enumerate(self.cols)}
        x = np.zeros(len(self.cols) + len(self.rows))
        cov = {}
        for a, row in enumerate(self.roster):
            for d in self.free:
                c = row[d]
                if c:
                    x[index[(a, d, c["template"], c["queue"])]] = 1
                    for s in self.covered(d, c["template"]):
                        cov[(c["queue"], s)] = cov.get((c["queue"], s), 0) + 1
        for i, k in enumerate(self.rows):
            x[len(self.cols) + i] = max(0, self.need[k] - cov.get(k, 0))
        return x, int(x[len(self.cols):].sum()) + self.unreachable

    def solved(self, x):
        out = [list(row) for row in self.fixed]
        for j, (a, d, t, q) in enumerate(self.cols):
            if x[j] > 0.5:
                out[a][d] = {"template": t, "queue": q}
        return out


if __name__ == "__main__":
    main()
