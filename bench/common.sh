# Shared by the benchmark scripts: a temp work dir removed on exit (unless KEEP=1), the
# release build (unless SKIP_BUILD=1), and starting/stopping `kefu serve` on 127.0.0.1.
# Source it after setting ROOT; call `bench_setup NAME` first.

log() { printf '\n== %s\n' "$*"; }

# Creates $WORK (under $BENCH_TMP_ROOT, default /work/cache) with $DATA, a random admin
# $PASSWORD, builds, sets $KEFU and $BENCH, and moves into $WORK (a kefu.toml in the
# caller's directory would change the settings).
bench_setup() {
    local name="$1"
    TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
    local tmp_root="${BENCH_TMP_ROOT:-/work/cache}"
    mkdir -p "$tmp_root"
    WORK="$(mktemp -d "$tmp_root/kefu-$name.XXXXXX")"
    DATA="$WORK/data"
    PASSWORD="bench-$(date +%s)-$RANDOM$RANDOM"
    # For probing a kept run's database by hand afterwards (KEEP=1).
    (umask 077; echo "$PASSWORD" > "$WORK/admin-password")
    SERVER_PID=""
    trap bench_cleanup EXIT
    if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
        log "building (release)"
        (cd "$ROOT" && cargo build --release -p kefu -p kefu-bench)
    fi
    KEFU="$TARGET_DIR/release/kefu"
    BENCH="$TARGET_DIR/release/kefu-bench"
    [[ -x "$KEFU" && -x "$BENCH" ]] || { echo "missing $KEFU or $BENCH" >&2; exit 1; }
    cd "$WORK"
}

bench_cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -INT "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}

start_server() {
    local port="$1"
    KEFU_ADMIN_PASSWORD="$PASSWORD" "$KEFU" --data-dir "$DATA" serve --listen "127.0.0.1:$port" \
        >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    "$BENCH" wait-ready --base "http://127.0.0.1:$port" --timeout 60
}

stop_server() {
    kill -INT "$SERVER_PID"
    for _ in $(seq 1 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# A `key=value` field of a RESULT line.
field() { sed -E "s/.*[ ]$1=([^ ]+).*/\1/" <<<"$2"; }

# Waits (up to 900 s) until the server's log, from line $1 on, says the search index was
# built: a server started after a bulk import first builds it in the background.
wait_search_index() {
    local from="$1"
    SECONDS=0
    until tail -n "+$from" "$WORK/server.log" | grep -qE 'search index (rebuilt|resumes)'; do
        [[ $SECONDS -lt 900 ]] || { echo "search index not built after 900 s" >&2; exit 1; }
        sleep 1
    done
    echo "search index built in the background in ${SECONDS} s"
}
