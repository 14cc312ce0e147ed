#!/usr/bin/env bash
# make run: show the plugin enriching the bundled fixture lines.
#
# With Fluent Bit installed (on PATH, or FLUENT_BIT_BIN=/path/to/fluent-bit), this runs the
# shipped fluent-bit.conf on the fixtures: they are tailed, enriched by build/out_enrich.so,
# handed back through in_forward, and the es output is replaced by a file output whose records
# are printed. Everything else in the configuration is as shipped; only its environment
# variables change. Fluent Bit is stopped once every record is out (or output has stalled).
#
# Without Fluent Bit, the same engine runs through build/flb-enrich on the same lines.
#
# Expects `make build` to have run (make run does that first).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

so="$root/build/out_enrich.so"
cli="$root/build/flb-enrich"

fixtures=()
for pattern in test/fixtures/real/*.log test/fixtures/lines/*.log; do
    for f in $pattern; do
        [ -f "$f" ] && fixtures+=("$f")
    done
done
if [ ${#fixtures[@]} -eq 0 ]; then
    echo "run: no fixture lines found under test/fixtures/real or test/fixtures/lines" >&2
    exit 1
fi

fluent_bit=${FLUENT_BIT_BIN:-$(command -v fluent-bit || true)}

if [ -z "$fluent_bit" ]; then
    echo "== Fluent Bit is not installed: enriching ${#fixtures[@]} fixture files with build/flb-enrich"
    status=0
    "$cli" "${fixtures[@]}" || status=$?
    cat <<EOF

== To run the real pipeline (tail/syslog -> enrich -> in_forward -> es), install Fluent Bit (3.2 to 5.1)
   and run again with it on PATH or named by FLUENT_BIT_BIN:
       FLUENT_BIT_BIN=/path/to/fluent-bit make run
   For your own set-up see fluent-bit.conf and the README's "Load and run" section.
EOF
    exit "$status"
fi

if [ ! -f "$so" ]; then
    echo "run: $so is missing; run make build" >&2
    exit 1
fi

work=$(mktemp -d /tmp/enrich-run.XXXXXX)
fb_pid=""
cleanup() {
    if [ -n "$fb_pid" ] && kill -0 "$fb_pid" 2>/dev/null; then
        kill -TERM "$fb_pid" 2>/dev/null || true
        wait "$fb_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/logs" "$work/out"
# One file, so the records come out in the order of the fixtures.
cat "${fixtures[@]}" > "$work/logs/fixtures.log"
want=$(grep -c -v '^[[:space:]]*$' "$work/logs/fixtures.log" || true)

printf '[PLUGINS]\n    Path %s\n' "$so" > "$work/plugins.conf"

# The shipped configuration with its es output replaced by a file output; fail loudly if the
# es stanza cannot be found, rather than run something else.
awk -v repl="[OUTPUT]\n    Name   file\n    Match  enriched.*\n    Path   $work/out\n    File   enriched.json\n    Format plain\n\n" '
    function flush() {
        if (sec != "") { if (is_es) { printf "%s", repl; replaced++ } else printf "%s", sec }
        sec = ""; is_es = 0
    }
    /^\[/ { flush() }
    { sec = sec $0 "\n"; if (tolower($1) == "name" && $2 == "es") is_es = 1 }
    END { flush(); if (replaced != 1) exit 1 }
' fluent-bit.conf > "$work/fluent-bit.conf" || {
    echo "run: could not find the es output in fluent-bit.conf" >&2
    exit 1
}

port() { echo $((20000 + RANDOM % 30000)); }
export ENRICH_PLUGINS_FILE="$work/plugins.conf"
export ENRICH_PARSERS_FILE="$root/parsers.conf"
export ENRICH_STATE_DIR="$work/state"
export ENRICH_FORWARD_SOCKET="$work/fwd.sock"
export ENRICH_TAIL_PATH="$work/logs/*.log"
export ENRICH_TAIL_FROM_HEAD=true
export ENRICH_HTTP_PORT
ENRICH_HTTP_PORT=$(port)
export SYSLOG_LISTEN=127.0.0.1
export SYSLOG_TCP_PORT SYSLOG_UDP_PORT
SYSLOG_TCP_PORT=$(port)
SYSLOG_UDP_PORT=$SYSLOG_TCP_PORT
export ENRICH_LOG_LEVEL=${ENRICH_LOG_LEVEL:-warn}

echo "== $("$fluent_bit" --version | head -1): shipped pipeline on $want fixture lines (${#fixtures[@]} files)"
"$fluent_bit" -c "$work/fluent-bit.conf" > "$work/fluent-bit.log" 2>&1 &
fb_pid=$!

# Wait until every record is out, or until output has not grown for 5 s after it started
# (a line tail does not turn into a record would otherwise keep us waiting), at most 60 s.
out="$work/out/enriched.json"
got=0 last=0 still=0
for _ in $(seq 1 600); do
    sleep 0.1
    if ! kill -0 "$fb_pid" 2>/dev/null; then
        echo "run: fluent-bit exited early:" >&2
        cat "$work/fluent-bit.log" >&2
        exit 1
    fi
    got=$( [ -f "$out" ] && wc -l < "$out" || echo 0)
    [ "$got" -ge "$want" ] && break
    if [ "$got" -gt 0 ] && [ "$got" -eq "$last" ]; then
        still=$((still + 1))
        [ "$still" -ge 50 ] && break
    else
        still=0
    fi
    last=$got
done

kill -TERM "$fb_pid" 2>/dev/null || true
wait "$fb_pid" 2>/dev/null || true
fb_pid=""

if [ -f "$out" ]; then
    # The file output escapes non-ASCII text (\uXXXX); jq prints the Japanese catalog text
    # readably when it is installed.
    if command -v jq > /dev/null; then jq -c . "$out"; else cat "$out"; fi
fi
enriched=0
[ -f "$out" ] && enriched=$(grep -c '"message_id"' "$out" || true)
echo
echo "== $got of $want records came back through in_forward; $enriched carry a message_id"
if grep -q '\[error\]' "$work/fluent-bit.log"; then
    echo "== fluent-bit reported errors:"
    grep '\[error\]' "$work/fluent-bit.log"
fi
[ "$got" -eq "$want" ]
