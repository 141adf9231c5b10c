#!/usr/bin/env bash
# Foundation benchmarks (see BENCHMARKS.md):
#   B1  import 1,000,000 customers from CSV into SQLite: rows/s and peak memory
#   B2  with those customers: phone lookup and first list page over HTTP: p99, server RSS
#
# Usage: bench/foundation.sh            (from anywhere; takes ~5-10 minutes after the build)
# Knobs (environment): ROWS=1000000 REQUESTS=20000 CONCURRENCY=4 SEED=1 SKIP_BUILD=1 KEEP=1
# Everything runs on 127.0.0.1 and in a temporary directory under /work/cache (or
# $BENCH_TMP_ROOT), which is removed at the end unless KEEP=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROWS="${ROWS:-1000000}"
REQUESTS="${REQUESTS:-20000}"
CONCURRENCY="${CONCURRENCY:-4}"
SEED="${SEED:-1}"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup bench
CSV="$WORK/customers.csv"
PHONES="$WORK/phones.txt"

log "generating $ROWS customers (seed $SEED)"
"$BENCH" gen-customers --rows "$ROWS" --seed "$SEED" --out "$CSV" --phones-out "$PHONES" --phones-sample 10000
ls -l "$CSV"

log "creating the database and the admin account"
PORT="$("$BENCH" free-port)"
start_server "$PORT"
stop_server

log "B1: kefu import customers ($ROWS rows)"
/usr/bin/time -v -o "$WORK/import.time" "$KEFU" --data-dir "$DATA" import customers "$CSV" | tee "$WORK/import.out"
IMPORT_LINE="$(grep '^imported ' "$WORK/import.out")"
PREVIEW_LINE="$(grep ' valid, ' "$WORK/import.out" | head -1)"
ROWS_PER_S="$(sed -E 's/.*\(([0-9]+) rows\/s\).*/\1/' <<<"$IMPORT_LINE")"
IMPORT_MAXRSS_KB="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/import.time")"
IMPORT_WALL="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/import.time")"
IMPORT_CPU="$(awk -F': ' '/Percent of CPU/ {print $2}' "$WORK/import.time")"
DB_SIZE="$(du -sh "$DATA" | cut -f1)"

log "B2: HTTP latency with $ROWS customers"
PORT="$("$BENCH" free-port)"
LOG_FROM=$(($(wc -l <"$WORK/server.log") + 1))
start_server "$PORT"
BASE="http://127.0.0.1:$PORT"
"$BENCH" mem --pid "$SERVER_PID" | sed 's/^/server at start: /'
# The import filled the search change log: a new server first builds the search index
# in the background. B2 is about a server in its steady state, so wait for that build.
wait_search_index "$LOG_FROM"
"$BENCH" mem --pid "$SERVER_PID" | sed 's/^/server after the index build: /'
TOKEN="$(KEFU_ADMIN_PASSWORD="$PASSWORD" "$BENCH" login --base "$BASE")"
# CONCURRENCY may list several levels ("1 2 4"); each runs both scenarios.
for c in $CONCURRENCY; do
    "$BENCH" http --base "$BASE" --token "$TOKEN" --requests "$REQUESTS" --concurrency "$c" \
        --phones "$PHONES" --warmup 1000 --time-limit 120 | tee "$WORK/http-$c.out"
done
MEM="$("$BENCH" mem --pid "$SERVER_PID")"
echo "server after the run: $MEM"
stop_server

# The same load on a server started on the finished index: the steady state, without
# what the build left behind (mapped index pages the merges read, allocator caches).
log "B2 again after a restart"
PORT="$("$BENCH" free-port)"
start_server "$PORT"
BASE="http://127.0.0.1:$PORT"
TOKEN="$(KEFU_ADMIN_PASSWORD="$PASSWORD" "$BENCH" login --base "$BASE")"
LAST_C="${CONCURRENCY##* }"
"$BENCH" http --base "$BASE" --token "$TOKEN" --requests "$REQUESTS" --concurrency "$LAST_C" \
    --phones "$PHONES" --warmup 1000 --time-limit 120 | tee "$WORK/http-restart.out"
MEM_RESTART="$("$BENCH" mem --pid "$SERVER_PID")"
echo "server after the run, restarted: $MEM_RESTART"
stop_server

HWM_MB="$(field VmHWM_MB "$MEM")"
RSS_MB="$(field VmRSS_MB "$MEM")"
ANON_MB="$(field RssAnon_MB "$MEM")"
FILE_MB="$(field RssFile_MB "$MEM")"

log "summary"
cat <<EOF
machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM
B1 import $ROWS customers (CSV -> SQLite):
   preview pass:         $PREVIEW_LINE
   commit:               $IMPORT_LINE
   commit rate:          $ROWS_PER_S rows/s            (target >= 100000)
   peak RSS (time -v):   $((IMPORT_MAXRSS_KB / 1024)) MB                (target <= 200)
   whole command:        $IMPORT_WALL wall, $IMPORT_CPU CPU; data dir $DB_SIZE
EOF
for c in $CONCURRENCY; do
    PHONE_LINE="$(grep 'scenario=phone_lookup' "$WORK/http-$c.out")"
    PAGE_LINE="$(grep 'scenario=first_page' "$WORK/http-$c.out")"
    cat <<EOF
B2 HTTP, $REQUESTS requests per scenario, concurrency $c:
   phone lookup:         p50 $(field p50_ms "$PHONE_LINE") ms, p90 $(field p90_ms "$PHONE_LINE") ms, p99 $(field p99_ms "$PHONE_LINE") ms, max $(field max_ms "$PHONE_LINE") ms, $(field rps "$PHONE_LINE") req/s   (target p99 <= 5)
   first page (50):      p50 $(field p50_ms "$PAGE_LINE") ms, p90 $(field p90_ms "$PAGE_LINE") ms, p99 $(field p99_ms "$PAGE_LINE") ms, max $(field max_ms "$PAGE_LINE") ms, $(field rps "$PAGE_LINE") req/s   (target p99 <= 5)
EOF
done
cat <<EOF
B2 server memory after all runs: VmHWM $HWM_MB MB, VmRSS $RSS_MB MB (anonymous $ANON_MB MB, mapped files $FILE_MB MB)   (target RSS <= 150)
B2 after a restart, concurrency $LAST_C:
   phone lookup:         p99 $(field p99_ms "$(grep 'scenario=phone_lookup' "$WORK/http-restart.out")") ms; first page p99 $(field p99_ms "$(grep 'scenario=first_page' "$WORK/http-restart.out")") ms
   server memory:        VmHWM $(field VmHWM_MB "$MEM_RESTART") MB, VmRSS $(field VmRSS_MB "$MEM_RESTART") MB (anonymous $(field RssAnon_MB "$MEM_RESTART") MB, mapped files $(field RssFile_MB "$MEM_RESTART") MB)
EOF
