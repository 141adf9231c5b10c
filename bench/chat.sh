#!/usr/bin/env bash
# Web chat benchmark (issue 6, see BENCHMARKS.md): 1,000 concurrent chat connections on
# loopback (999 visitors + 1 agent console), p99 message delivery and the server's RSS.
#
# Usage: bench/chat.sh          (from anywhere; a few minutes after the build)
# Knobs (environment): VISITORS=999 MESSAGES=10 INTERVAL_MS=1000 SKIP_BUILD=1 KEEP=1
# Everything runs on 127.0.0.1 and in a temporary directory under /work/cache (or
# $BENCH_TMP_ROOT), which is removed at the end unless KEEP=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VISITORS="${VISITORS:-999}"
MESSAGES="${MESSAGES:-10}"
INTERVAL_MS="${INTERVAL_MS:-1000}"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup chat

# 1,000 sockets on each side of loopback, plus the server's own files.
ulimit -n 8192

log "starting kefu with the demo center (the admin holds chat.answer and chat.manage)"
PORT="$("$BENCH" free-port)"
# Every visitor comes from 127.0.0.1: lift the per-address limit on new chats.
KEFU_ADMIN_PASSWORD="$PASSWORD" KEFU_CHAT_STARTS_PER_MINUTE=1000000 "$KEFU" --data-dir "$DATA" serve --demo --listen "127.0.0.1:$PORT" \
    >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
"$BENCH" wait-ready --base "http://127.0.0.1:$PORT" --timeout 120
BASE="http://127.0.0.1:$PORT"
"$BENCH" mem --pid "$SERVER_PID" | sed 's/^/server at start: /'
TOKEN="$(KEFU_ADMIN_PASSWORD="$PASSWORD" "$BENCH" login --base "$BASE")"

log "chat: $VISITORS visitors + 1 console, $MESSAGES messages each, ${INTERVAL_MS} ms apart"
"$BENCH" chat --base "$BASE" --token "$TOKEN" --visitors "$VISITORS" --messages "$MESSAGES" \
    --interval-ms "$INTERVAL_MS" | tee "$WORK/chat.out"
MEM="$("$BENCH" mem --pid "$SERVER_PID")"
echo "server after the run: $MEM"
stop_server

log "summary"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
grep '^RESULT' "$WORK/chat.out"
echo "server memory after the run: VmHWM $(field VmHWM_MB "$MEM") MB, VmRSS $(field VmRSS_MB "$MEM") MB   (target RSS <= 300)"
