#!/usr/bin/env bash
# Reports over ten million tickets (issue 9, see BENCHMARKS.md): the month's report for
# the whole center through the server, target ≤ 1 s.
#
#   R1  the last full month by day, every metric, no filter (GET /api/v1/reports)
#   R2  the same month as one row (by=month)
#   R3  the same month by agent (200 agents)
#   R4  the same month for one department of ten
#   R5  the same month for one agent
#   R6  one department's phone tickets (two filters: read from the records, not rollups)
#   D1  the manager's dashboard (this month so far, last month, 30 days' trend, rankings)
#   Da…Dg  the dashboard's seven reports one by one (where D1's time goes): the month's
#       headline figures, last month's, the 30 days' trend, by channel, by type, the
#       complaint causes, the agents' ranking
#
# Before timing, it waits for the daily rollups to be made (POST
# /api/v1/reports/rollups/refresh until nothing is pending) and says how long that took.
#
# Seeds TICKETS tickets with their events over the MONTHS months before the next one
# (`kefu-bench seed-reports`), then times each report RUNS times, one request at a time.
# SQLite by default; POSTGRES=1 runs on a fresh database on 127.0.0.1:5432 instead.
#
# Usage: bench/reports.sh
# Knobs: TICKETS=10000000 MONTHS=24 RUNS=5 POSTGRES=0 SKIP_BUILD=1 KEEP=1
# (TICKETS=1250000 MONTHS=3 keeps the 10 M run's tickets per day, for a quick look at
# what reads today's records, such as the dashboard.)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TICKETS="${TICKETS:-10000000}"
MONTHS="${MONTHS:-24}"
RUNS="${RUNS:-5}"
POSTGRES="${POSTGRES:-0}"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup reports

if [[ "$POSTGRES" == 1 ]]; then
    PGDB="kefu_bench_reports_$$"
    psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $PGDB"
    export KEFU_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$PGDB"
    DB_URL="$KEFU_DATABASE_URL"
    drop_db() { psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $PGDB" || true; }
    trap 'bench_cleanup; cd /; drop_db' EXIT
else
    DB_URL="sqlite://$DATA/kefu.db"
fi

log "creating the schema"
PORT="$("$BENCH" free-port)"; start_server "$PORT"; stop_server

log "seeding $TICKETS tickets"
/usr/bin/time -v -o "$WORK/seed.time" \
    "$BENCH" seed-reports --database-url "$DB_URL" --tickets "$TICKETS" --months "$MONTHS" | tee "$WORK/seed.out"
grep -E 'Elapsed|Maximum resident' "$WORK/seed.time" | sed 's/^\s*/seed: /'
[[ "$POSTGRES" == 1 ]] || echo "database: $(du -sh "$DATA" | cut -f1)"

# The last full month.
FROM="$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m-%d)"
TO="$(date -u -d "$(date -u +%Y-%m-01) -1 day" +%Y-%m-%d)"
# The dashboard's ranges (the center's day, UTC+8): this month so far, last month over as
# many days, 30 days.
MFROM="$(TZ=Asia/Shanghai date +%Y-%m-01)"
TODAY="$(TZ=Asia/Shanghai date +%Y-%m-%d)"
LTO="$(date -u -d "$(date -u -d "$MFROM -1 month" +%Y-%m-%d) +$(( $(TZ=Asia/Shanghai date +%-d) - 1 )) days" +%Y-%m-%d)"
T30="$(date -u -d "$TODAY -29 days" +%Y-%m-%d)"
KPIS="tickets_opened,tickets_resolved,sla_resolution,first_response_median,promises_broken"
KPIS="$KPIS,complaints,callbacks_done,csat,nps,qa_score"

date -u +"starting the server at %T"
PORT="$("$BENCH" free-port)"; start_server "$PORT"
BASE="http://127.0.0.1:$PORT"
# A server that has just opened a large database may be slow to take its first log-in.
TOKEN=""
for _ in $(seq 1 60); do
    TOKEN="$(KEFU_ADMIN_PASSWORD="$PASSWORD" "$BENCH" login --base "$BASE" --username admin 2>/dev/null)" && break
    sleep 5
done
[[ -n "$TOKEN" ]] || { echo "could not log in" >&2; exit 1; }
date -u +"logged in at %T"
"$BENCH" mem --pid "$SERVER_PID" | sed 's/^/server before: /'

log "rolling the days up (the server's background task does the same; this waits for it)"
ROLL_START=$SECONDS
while :; do
    OUT="$(curl -sf -X POST -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/reports/rollups/refresh")"
    jq -c '{days, last_day, days_rolled, pending}' <<<"$OUT"
    [[ "$(jq -r .pending <<<"$OUT")" == false ]] && break
done
echo "RESULT rollups seconds=$((SECONDS - ROLL_START)) $(jq -c '{days, pending_changes}' <<<"$OUT")" \
    | tee -a "$WORK/results.out"
"$BENCH" mem --pid "$SERVER_PID" | sed 's/^/server after the rollups: /'
for spec in \
    "R1 /api/v1/reports?from=$FROM&to=$TO" \
    "R2 /api/v1/reports?from=$FROM&to=$TO&by=month" \
    "R3 /api/v1/reports?from=$FROM&to=$TO&by=month&group=agent" \
    "R4 /api/v1/reports?from=$FROM&to=$TO&department=bd3" \
    "R5 /api/v1/reports?from=$FROM&to=$TO&agent=ba7" \
    "R6 /api/v1/reports?from=$FROM&to=$TO&department=bd3&channel=phone" \
    "D1 /api/v1/dashboard" \
    "Da /api/v1/reports?from=$MFROM&to=$TODAY&by=month&metrics=$KPIS" \
    "Db /api/v1/reports?from=$FROM&to=$LTO&by=month&metrics=$KPIS" \
    "Dc /api/v1/reports?from=$T30&to=$TODAY&metrics=tickets_opened,tickets_resolved,complaints" \
    "Dd /api/v1/reports?from=$MFROM&to=$TODAY&by=month&group=channel&metrics=tickets_opened" \
    "De /api/v1/reports?from=$MFROM&to=$TODAY&by=month&group=type&metrics=tickets_opened" \
    "Df /api/v1/reports?from=$MFROM&to=$TODAY&by=month&group=cause&metrics=complaints" \
    "Dg /api/v1/reports?from=$MFROM&to=$TODAY&by=month&group=agent&metrics=tickets_resolved,sla_resolution,csat,qa_score"; do
    set -- $spec
    "$BENCH" report-http --base "$BASE" --token "$TOKEN" --path "$2" --runs "$RUNS" --label "$1" \
        | tee -a "$WORK/results.out"
done
"$BENCH" mem --pid "$SERVER_PID" | sed 's/^/server after: /'
stop_server
