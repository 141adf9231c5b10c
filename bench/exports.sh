#!/usr/bin/env bash
# Export benchmark (issue 9, see BENCHMARKS.md): 1,000,000 customers exported to XLSX
# through the background export of a running server; the server's peak memory (VmHWM)
# is the figure (target <= 200 MB), with the time taken and the file's size.
#
# Usage: bench/exports.sh        Knobs: ROWS=1000000 SEED=1 SKIP_BUILD=1 KEEP=1
# Everything runs on 127.0.0.1 in a temporary directory under /work/cache (or
# $BENCH_TMP_ROOT), removed at the end unless KEEP=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROWS="${ROWS:-1000000}"
SEED="${SEED:-1}"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup exports
CSV="$WORK/customers.csv"

log "generating and importing $ROWS customers"
"$BENCH" gen-customers --rows "$ROWS" --seed "$SEED" --out "$CSV"
PORT="$("$BENCH" free-port)"
start_server "$PORT"
stop_server
"$KEFU" --data-dir "$DATA" import customers "$CSV" | grep '^imported '
rm -f "$CSV"

# The import filled the search change log; the first server builds the index. Let it
# finish, then measure on a fresh process, so the peak is the export's and not the build's.
log "building the search index"
PORT="$("$BENCH" free-port)"
LOG_FROM=$(($(wc -l <"$WORK/server.log") + 1))
start_server "$PORT"
wait_search_index "$LOG_FROM"
stop_server

log "exporting $ROWS customers to XLSX in the background"
PORT="$("$BENCH" free-port)"
start_server "$PORT"
BASE="http://127.0.0.1:$PORT"
TOKEN="$(KEFU_ADMIN_PASSWORD="$PASSWORD" "$BENCH" login --base "$BASE")"
BEFORE="$("$BENCH" mem --pid "$SERVER_PID")"
echo "server before: $BEFORE"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
START=$(date +%s.%N)
ID="$(curl -sf -X POST "$BASE/api/v1/exports" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d '{"kind":"customers","format":"xlsx"}' | json "['id']")"
while :; do
    STATUS="$(curl -sf "$BASE/api/v1/exports/$ID" -H "Authorization: Bearer $TOKEN")"
    STATE="$(json "['status']" <<<"$STATUS")"
    [[ "$STATE" == queued || "$STATE" == running ]] || break
    sleep 1
    printf '\r%s rows' "$(json "['rows_done']" <<<"$STATUS")"
done
END=$(date +%s.%N)
echo
[[ "$STATE" == done ]] || { echo "export ended $STATE: $STATUS" >&2; exit 1; }
AFTER="$("$BENCH" mem --pid "$SERVER_PID")"
echo "server after: $AFTER"
curl -sf "$BASE/api/v1/exports/$ID/file" -H "Authorization: Bearer $TOKEN" -o "$WORK/export.xlsx"
SHEET_ROWS="$(unzip -p "$WORK/export.xlsx" xl/worksheets/sheet1.xml | grep -o '<row ' | wc -l)"
stop_server

log "summary"
cat <<EOF
machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM
export of $ROWS customers to XLSX (background, SQLite):
   rows written:         $(json "['rows_done']" <<<"$STATUS") (sheet rows incl. 3 lines above and the header: $SHEET_ROWS)
   time:                 $(printf '%.1f' "$(echo "$END - $START" | bc)") s
   file:                 $(du -h "$WORK/export.xlsx" | cut -f1)
   server VmHWM before:  $(field VmHWM_MB "$BEFORE") MB
   server VmHWM after:   $(field VmHWM_MB "$AFTER") MB   (target <= 200)
EOF
