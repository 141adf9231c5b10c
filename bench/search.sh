#!/usr/bin/env bash
# Search benchmarks (issue 4, see BENCHMARKS.md):
#   S1  full index build (`kefu search rebuild`) over tickets + customers + articles: wall, peak RSS
#   S2  GET /api/v1/search over a realistic query mix at 1 and 4 clients: p50/p90/p99
#   S3  index-after-write: POST a ticket with a unique word, poll the search until found
#   S4  SQLite FTS5 (trigram) on the same data: build time, the same mix in-process beside
#       kefu's index, recall@10 on the judged handbook set for both
#
# Usage: bench/search.sh
# Knobs: TICKETS=1000000 CUSTOMERS=100000 ARTICLES=1000 QUERIES=5000 CONCURRENCY="1 4"
#        WRITES=200 FTS_QUERIES=2000 SKIP_BUILD=1 KEEP=1
# Everything runs on 127.0.0.1 in a temporary directory under /work/cache (or
# $BENCH_TMP_ROOT), removed at the end unless KEEP=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TICKETS="${TICKETS:-1000000}"
CUSTOMERS="${CUSTOMERS:-100000}"
ARTICLES="${ARTICLES:-1000}"
QUERIES="${QUERIES:-5000}"
CONCURRENCY="${CONCURRENCY:-1 4}"
WRITES="${WRITES:-200}"
FTS_QUERIES="${FTS_QUERIES:-2000}"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup search
DB_URL="sqlite://$DATA/kefu.db"
NEEDLES="$WORK/needles.tsv"

log "data: $CUSTOMERS customers, $TICKETS tickets with text, $ARTICLES articles"
PORT="$("$BENCH" free-port)"; start_server "$PORT"; stop_server
"$BENCH" gen-customers --rows "$CUSTOMERS" --seed 1 --out "$WORK/customers.csv"
"$KEFU" --data-dir "$DATA" import customers "$WORK/customers.csv" | tail -1
"$BENCH" seed-tickets --database-url "$DB_URL" --count "$TICKETS" --text --needles-out "$NEEDLES"
"$BENCH" seed-articles --database-url "$DB_URL" --count "$ARTICLES"
echo "data dir: $(du -sh "$DATA" | cut -f1)"

log "S1: full index build (server stopped)"
/usr/bin/time -v -o "$WORK/rebuild.time" "$KEFU" --data-dir "$DATA" search rebuild | tee "$WORK/rebuild.out"
REBUILD_WALL="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/rebuild.time")"
REBUILD_CPU="$(awk -F': ' '/Percent of CPU/ {print $2}' "$WORK/rebuild.time")"
REBUILD_RSS_KB="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/rebuild.time")"
echo "index: $(du -sh "$DATA/search" | cut -f1)"

log "S4: SQLite FTS5 (trigram) beside kefu's index"
"$BENCH" fts5 --database "$DATA/kefu.db" --out "$WORK/fts5.db" --index-dir "$DATA/search" \
    --needles "$NEEDLES" --requests "$FTS_QUERIES" | tee "$WORK/fts5.out"

log "S2/S3: with the server running"
PORT="$("$BENCH" free-port)"; start_server "$PORT"
BASE="http://127.0.0.1:$PORT"
TOKEN="$(KEFU_ADMIN_PASSWORD="$PASSWORD" "$BENCH" login --base "$BASE")"
for c in $CONCURRENCY; do
    "$BENCH" search-http --base "$BASE" --token "$TOKEN" --needles "$NEEDLES" \
        --requests "$QUERIES" --concurrency "$c" | tee "$WORK/search-$c.out"
done
"$BENCH" search-fresh --base "$BASE" --token "$TOKEN" --writes "$WRITES" | tee "$WORK/fresh.out"
MEM="$("$BENCH" mem --pid "$SERVER_PID")"
stop_server

log "summary"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM"
echo "S1 rebuild:  $(cat "$WORK/rebuild.out")"
echo "S1 rebuild:  $REBUILD_WALL wall, $REBUILD_CPU CPU, peak RSS $((REBUILD_RSS_KB / 1024)) MB (target <= 3:00)"
for c in $CONCURRENCY; do grep -h '^RESULT' "$WORK/search-$c.out" | sed 's/^/S2: /'; done
grep -h '^RESULT' "$WORK/fresh.out" | sed 's/^/S3: /'
grep -h '^RESULT' "$WORK/fts5.out" | sed 's/^/S4: /'
echo "server after the runs: $MEM"
