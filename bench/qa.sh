#!/usr/bin/env bash
# Quality inspection through the server (issue 7, see BENCHMARKS.md): the month's draw,
# POST /api/v1/qa/samples, for 2,000 agents over 1,000,000 items (target ≤ 1 s).
#
#   Q1  first draw: the month's items refreshed from nothing, the chats checked, sampled
#       and one draft inspection stored per chosen item
#   Q2  the same month drawn again on a copy whose items are already refreshed and checked
#       (what the scheduler has done by the time a month is drawn; the Q1 sample is taken
#       back out with `kefu-bench qa-undraw` first, since a month is drawn once), with
#       PENDING calls and PENDING tickets noted as changed since the scheduler's last turn
#
# The seeded month is the one before the current one (real clock): drawing last month at
# the start of this one is what a center does. Each run starts from its own copy of the
# seeded data directory. The server logs each phase of the draw at debug level.
#
# Usage: bench/qa.sh
# Knobs: ITEMS=1000000 AGENTS=2000 INSPECTORS=40 RUNS=3 PENDING=1000 MONTH=YYYY-MM SKIP_BUILD=1 KEEP=1
# Everything runs on 127.0.0.1 in a temporary directory under /work/cache (or
# $BENCH_TMP_ROOT), removed at the end unless KEEP=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ITEMS="${ITEMS:-1000000}"
AGENTS="${AGENTS:-2000}"
INSPECTORS="${INSPECTORS:-40}"
RUNS="${RUNS:-3}"
PENDING="${PENDING:-1000}"
MONTH="${MONTH:-$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)}"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup qa
SEEDED="$WORK/seeded"
export KEFU_LOG="info,sqlx=warn,kefu_server::app::qa::sampling=debug"

log "creating the schema"
PORT="$("$BENCH" free-port)"; start_server "$PORT"; stop_server

log "seeding $ITEMS items for $AGENTS agents in $MONTH"
KEFU_BENCH_QA_PASSWORD="$PASSWORD" /usr/bin/time -v -o "$WORK/seed.time" \
    "$BENCH" seed-qa --database-url "sqlite://$DATA/kefu.db" --month "$MONTH" \
    --items "$ITEMS" --agents "$AGENTS" --inspectors "$INSPECTORS" | tee "$WORK/seed.out"
grep -E 'Elapsed|Maximum resident' "$WORK/seed.time" | sed 's/^\s*/seed: /'
mv "$DATA" "$SEEDED"
echo "seeded data dir: $(du -sh "$SEEDED" | cut -f1)"

# Starts kefu on a fresh copy of $1, draws $MONTH as qa-lead, records the result as $2.
draw_on() {
    local from="$1" label="$2"
    rm -rf "$DATA"; cp -a "$from" "$DATA"
    : >"$WORK/server.log"
    PORT="$("$BENCH" free-port)"; start_server "$PORT"
    local base="http://127.0.0.1:$PORT" token
    token="$(KEFU_ADMIN_PASSWORD="$PASSWORD" "$BENCH" login --base "$base" --username qa-lead)"
    "$BENCH" mem --pid "$SERVER_PID" | sed "s/^/$label server before: /"
    "$BENCH" qa-draw --base "$base" --token "$token" --month "$MONTH" --label "$label" \
        | tee -a "$WORK/results.out"
    "$BENCH" mem --pid "$SERVER_PID" | sed "s/^/$label server after: /" \
        | tee -a "$WORK/results.out"
    grep -a 'qa sample drawn' "$WORK/server.log" | sed -E 's/\x1b\[[0-9;]*m//g' \
        | sed "s/^/$label phases: /" | tee -a "$WORK/results.out"
    stop_server
}

: >"$WORK/results.out"
for i in $(seq 1 "$RUNS"); do
    log "Q1 run $i: first draw (items refreshed from nothing)"
    draw_on "$SEEDED" first
done

# Q2's starting point: the month drawn once (items refreshed and checked), the sample
# taken back out.
REFRESHED="$WORK/refreshed"
rm -rf "$REFRESHED"; cp -a "$DATA" "$REFRESHED"
"$BENCH" qa-undraw --database-url "sqlite://$REFRESHED/kefu.db" --month "$MONTH" \
    --pending "$PENDING"
for i in $(seq 1 "$RUNS"); do
    log "Q2 run $i: draw with the month's items already refreshed and checked"
    draw_on "$REFRESHED" refreshed
done

log "summary"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM; load: $(uptime | sed 's/.*load average: //')"
grep -h 'seed-qa: month' "$WORK/seed.out"
cat "$WORK/results.out"
