#!/usr/bin/env bash
# Mail ingest benchmark (issue 6, see BENCHMARKS.md): 10,000 realistic messages (GBK and
# UTF-8, replies, HTML, attachments) APPENDed to a local Dovecot, then read by a release
# `kefu serve` into tickets and replies; wall time from adding the mailbox until the last
# message is read, messages/s (target >= 500) and the server's RSS.
#
# Usage: bench/mail.sh          (as root: Dovecot runs as its own system user)
# Knobs (environment): MESSAGES=10000 SKIP_BUILD=1 KEEP=1
# Needs Debian's dovecot-imapd (apt-get install dovecot-imapd). Everything runs on
# 127.0.0.1 and in a temporary directory under /work/cache (or $BENCH_TMP_ROOT), which is
# removed at the end unless KEEP=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MESSAGES="${MESSAGES:-10000}"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
command -v dovecot >/dev/null || { echo "dovecot is missing: apt-get install dovecot-imapd" >&2; exit 1; }
bench_setup mail

DOVECOT_PID=""
stop_dovecot() {
    if [[ -n "$DOVECOT_PID" ]] && kill -0 "$DOVECOT_PID" 2>/dev/null; then
        kill "$DOVECOT_PID" 2>/dev/null || true
        wait "$DOVECOT_PID" 2>/dev/null || true
    fi
}
trap 'stop_dovecot; bench_cleanup' EXIT

log "starting Dovecot (IMAP on the loopback, a maildir in $WORK/imap)"
IMAP="$WORK/imap"
mkdir -p "$IMAP/home/Maildir/"{cur,new,tmp} "$IMAP/state"
chmod 755 "$WORK" "$IMAP"
chown -R dovecot:dovecot "$IMAP/home"
IMAP_USER=support
export KEFU_BENCH_IMAP_PASSWORD="imap-$RANDOM$RANDOM"
echo "$IMAP_USER:{PLAIN}$KEFU_BENCH_IMAP_PASSWORD:$(id -u dovecot):$(id -g dovecot)::$IMAP/home::" >"$IMAP/passwd"
IMAP_PORT="$("$BENCH" free-port)"
cat >"$IMAP/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $IMAP/run
state_dir = $IMAP/state
log_path = $IMAP/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN $IMAP/passwd
}
userdb {
  driver = passwd-file
  args = $IMAP/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
CONF
dovecot -F -c "$IMAP/dovecot.conf" &
DOVECOT_PID=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$IMAP_PORT") 2>/dev/null && break
    sleep 0.1
done

log "APPENDing $MESSAGES messages"
"$BENCH" mail-append --imap-port "$IMAP_PORT" --user "$IMAP_USER" --messages "$MESSAGES" \
    | tee "$WORK/append.out"

log "starting kefu"
PORT="$("$BENCH" free-port)"
start_server "$PORT"
BASE="http://127.0.0.1:$PORT"
"$BENCH" mem --pid "$SERVER_PID" | sed 's/^/server at start: /'
TOKEN="$(KEFU_ADMIN_PASSWORD="$PASSWORD" "$BENCH" login --base "$BASE")"

log "ingest: kefu reads the $MESSAGES messages"
"$BENCH" mail-ingest --base "$BASE" --token "$TOKEN" --imap-port "$IMAP_PORT" \
    --user "$IMAP_USER" --messages "$MESSAGES" | tee "$WORK/ingest.out"
MEM="$("$BENCH" mem --pid "$SERVER_PID")"
echo "server after the run: $MEM"
stop_server

log "summary"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
grep '^APPENDED' "$WORK/append.out"
grep '^RESULT' "$WORK/ingest.out"
RESULT="$(grep '^RESULT' "$WORK/ingest.out")"
echo "ingest: $(field messages_per_s "$RESULT") messages/s   (target >= 500)"
echo "server memory after the run: VmHWM $(field VmHWM_MB "$MEM") MB, VmRSS $(field VmRSS_MB "$MEM") MB"
