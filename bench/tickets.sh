#!/usr/bin/env bash
# Work-order benchmarks (issue 3, see BENCHMARKS.md):
#   T1  create tickets through the HTTP API on SQLite, 16 concurrent clients: tickets/s, p99
#   T2  with 1,000,000 tickets: every queue's first page and the badge counts over HTTP, p99
#   T3  the scheduler's idle tick (due-job claim) at 0 and at 1,000,000 tickets
#
# Usage: bench/tickets.sh
# Knobs: TICKETS=1000000 CREATES=30000 CLIENTS=16 QUEUE_REQUESTS=5000 QUEUE_CONCURRENCY="1 4"
#        ONLY=t1 (T1 alone: no seeding, no T2/T3) SKIP_BUILD=1 KEEP=1
# Everything runs on 127.0.0.1 in a temporary directory under /work/cache (or
# $BENCH_TMP_ROOT), removed at the end unless KEEP=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TICKETS="${TICKETS:-1000000}"
CREATES="${CREATES:-30000}"
CLIENTS="${CLIENTS:-16}"
QUEUE_REQUESTS="${QUEUE_REQUESTS:-5000}"
QUEUE_CONCURRENCY="${QUEUE_CONCURRENCY:-1 4}"
ONLY="${ONLY:-}"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup tickets
DB_URL="sqlite://$DATA/kefu.db"

if [[ "$ONLY" != t1 ]]; then
    log "T3 (empty): scheduler idle tick"
    PORT="$("$BENCH" free-port)"; start_server "$PORT"; stop_server
    "$BENCH" scheduler-tick --database-url "$DB_URL" | tee "$WORK/tick-0.out"
fi

log "T1: create $CREATES tickets, $CLIENTS clients"
PORT="$("$BENCH" free-port)"; start_server "$PORT"
BASE="http://127.0.0.1:$PORT"
TOKEN="$(KEFU_ADMIN_PASSWORD="$PASSWORD" "$BENCH" login --base "$BASE")"
"$BENCH" tickets-create --base "$BASE" --token "$TOKEN" --requests "$CREATES" --concurrency "$CLIENTS" | tee "$WORK/create.out"
"$BENCH" mem --pid "$SERVER_PID" | sed 's/^/server after creates: /'
stop_server
if [[ "$ONLY" == t1 ]]; then
    log "summary"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM"
    grep -h '^RESULT' "$WORK"/create.out | sed 's/^/T1:            /'
    exit 0
fi

SEED=$((TICKETS - CREATES - 1001))
log "T2: seeding up to $TICKETS tickets ($SEED written directly)"
/usr/bin/time -v -o "$WORK/seed.time" "$BENCH" seed-tickets --database-url "$DB_URL" --count "$SEED"
echo "data dir: $(du -sh "$DATA" | cut -f1)"
"$BENCH" scheduler-tick --database-url "$DB_URL" | tee "$WORK/tick-1m.out"

PORT="$("$BENCH" free-port)"; start_server "$PORT"
BASE="http://127.0.0.1:$PORT"
TOKEN="$(KEFU_ADMIN_PASSWORD="$PASSWORD" "$BENCH" login --base "$BASE")"
for c in $QUEUE_CONCURRENCY; do
    "$BENCH" queues --base "$BASE" --token "$TOKEN" --requests "$QUEUE_REQUESTS" --concurrency "$c" | tee "$WORK/queues-$c.out"
done
"$BENCH" mem --pid "$SERVER_PID" | sed 's/^/server after queue runs: /'
stop_server

log "summary"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM"
grep -h '^RESULT' "$WORK"/tick-0.out | sed 's/^/T3 0 tickets:  /'
grep -h '^RESULT' "$WORK"/create.out | sed 's/^/T1:            /'
grep -h '^RESULT' "$WORK"/tick-1m.out | sed 's/^/T3 1M tickets: /'
for c in $QUEUE_CONCURRENCY; do grep -h '^RESULT' "$WORK/queues-$c.out" | sed 's/^/T2:            /'; done
