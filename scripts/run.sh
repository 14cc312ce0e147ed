#!/usr/bin/env bash
# make run: show the plugin enriching the bundled fixture lines.
#
# With Fluent Bit installed (on PATH, or FLUENT_BIT_BIN=/path/to/fluent-bit), this runs the
# shipped fluent-bit.conf on the fixtures: they are tailed, enriched by build/out_enrich.so,
# handed back through in_forward, and the es output is replaced by a file output whose records
# are summarised. Everything else in the configuration is as shipped; only its environment
# variables change. Fluent Bit is stopped once every record is out (or output has stalled).
#
# Without Fluent Bit, the same engine runs through build/flb-enrich on the same lines.
#
# The summary counts the records per product and result and pretty-prints the shortest explained
# record of each product, multi-line texts cut to their first line; ENRICH_RUN_ALL=1 prints every
# record instead.
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

# summarize FILE prints the records of FILE (JSON lines) in short.
summarize() {
    if [ -n "${ENRICH_RUN_ALL:-}" ]; then cat "$1"; return; fi
    awk '
        function str(key,   s) {
            if (!match($0, "\"" key "\":\"[^\"]*\"")) return ""
            s = substr($0, RSTART, RLENGTH); sub(/^"[^"]*":"/, "", s); return substr(s, 1, length(s) - 1)
        }
        # pretty prints a one-line JSON object with one top-level member per line, and only the
        # first line of a multi-line string.
        function pretty(line,   i, c, out, depth, instr) {
            out = ""; depth = 0; instr = 0
            for (i = 1; i <= length(line); i++) {
                c = substr(line, i, 1)
                if (instr && c == "\\" && substr(line, i + 1, 1) == "n") {
                    for (i += 2; i <= length(line) && (c = substr(line, i, 1)) != "\""; i++) if (c == "\\") i++
                    out = out " …\""; instr = 0; continue
                }
                if (instr && c == "\\") { out = out c substr(line, ++i, 1); continue }
                if (instr) { instr = c != "\""; out = out c; continue }
                if (c == "\"") instr = 1
                if (c == "{" || c == "[") depth++
                if (c == "}" || c == "]") depth--
                if (depth == 1 && c == "{") { out = out "{\n  "; continue }
                if (depth == 0 && c == "}") { out = out "\n}"; continue }
                if (depth == 1 && c == ",") { out = out ",\n  "; continue }
                if (depth == 1 && c == ":") { out = out ": "; continue }
                out = out c
            }
            return out
        }
        {
            total++
            p = str("product")
            if (p == "") { none++; next }
            if (!(p in seen)) { seen[p] = 1; order[++np] = p }
            if (!index($0, "\"explanation\":")) { unknown[p]++; next }
            explained[p]++; all_explained++
            if (!(p in example) || length($0) < length(example[p])) example[p] = $0
        }
        END {
            printf "== %d records: %d explained by the catalog, %d with an ID the catalog lacks, %d without an ID\n",
                total, all_explained, total - all_explained - none, none
            for (i = 1; i <= np; i++) {
                p = order[i]
                printf "   %-24s %4d explained, %4d ID not in the catalog\n", p, explained[p], unknown[p]
            }
            for (i = 1; i <= np; i++) if (order[i] in example) {
                printf "\n== An explained %s record:\n%s\n", order[i], pretty(example[order[i]])
            }
        }' "$1"
}

fluent_bit=${FLUENT_BIT_BIN:-$(command -v fluent-bit || true)}

if [ -z "$fluent_bit" ]; then
    echo "== Fluent Bit is not installed: enriching ${#fixtures[@]} fixture files with build/flb-enrich"
    out=$(mktemp /tmp/enrich-run.XXXXXX)
    trap 'rm -f "$out"' EXIT
    status=0
    "$cli" "${fixtures[@]}" > "$out" || status=$?
    summarize "$out"
    cat <<EOF

== To run the real pipeline (tail/syslog -> enrich -> in_forward -> es), install Fluent Bit (2.2 to 5.1)
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

port() { echo $((20000 + RANDOM % 30000)); }
export ENRICH_PLUGINS_FILE="$work/plugins.conf"
export ENRICH_PARSERS_FILE="$root/parsers.conf"
export ENRICH_STATE_DIR="$work/state"
export ENRICH_FORWARD_SOCKET="$work/fwd.sock"
export ENRICH_TAIL_PATH="$work/logs/*.log"
export ENRICH_TAIL_FROM_HEAD=true
export SYSLOG_LISTEN=127.0.0.1
export ENRICH_HTTP_PORT SYSLOG_TCP_PORT SYSLOG_UDP_PORT
export ENRICH_LOG_LEVEL=${ENRICH_LOG_LEVEL:-warn}

# start picks ports, writes the configuration for them and starts Fluent Bit on a clean state.
start() {
    ENRICH_HTTP_PORT=$(port)
    SYSLOG_TCP_PORT=$(port)
    SYSLOG_UDP_PORT=$SYSLOG_TCP_PORT
    rm -rf "$work/out" "$work/state" "$work/fwd.sock"
    mkdir -p "$work/out"

    # The shipped configuration with its es output replaced by a file output; fail loudly if the
    # es stanza cannot be found, rather than run something else. Its ${NAME:-default} references are
    # expanded here, as Fluent Bit before 4.2 does not read that form.
    awk -v repl="[OUTPUT]\n    Name   file\n    Match  enriched.*\n    Path   $work/out\n    File   enriched.json\n    Format plain\n\n" '
        function flush() {
            if (sec != "") { if (is_es) { printf "%s", repl; replaced++ } else printf "%s", sec }
            sec = ""; is_es = 0
        }
        function expand(line,   out, ref, name) {
            while (match(line, /\$\{[A-Za-z_][A-Za-z0-9_]*:-[^}]*\}/)) {
                ref = substr(line, RSTART + 2, RLENGTH - 3); name = ref; sub(/:-.*/, "", name); sub(/^[^:]*:-/, "", ref)
                out = out substr(line, 1, RSTART - 1) (ENVIRON[name] != "" ? ENVIRON[name] : ref)
                line = substr(line, RSTART + RLENGTH)
            }
            return out line
        }
        /^\[/ { flush() }
        { $0 = expand($0); sec = sec $0 "\n"; if (tolower($1) == "name" && $2 == "es") is_es = 1 }
        END { flush(); if (replaced != 1) exit 1 }
    ' fluent-bit.conf > "$work/fluent-bit.conf" || {
        echo "run: could not find the es output in fluent-bit.conf" >&2
        exit 1
    }

    "$fluent_bit" -c "$work/fluent-bit.conf" > "$work/fluent-bit.log" 2>&1 &
    fb_pid=$!
}

echo "== $("$fluent_bit" --version | head -1): shipped pipeline on $want fixture lines (${#fixtures[@]} files)"
start

# Wait until every record is out, or until output has not grown for 5 s after it started
# (a line tail does not turn into a record would otherwise keep us waiting), at most 60 s.
out="$work/out/enriched.json"
got=0 last=0 still=0 starts=0
for _ in $(seq 1 600); do
    sleep 0.1
    if ! kill -0 "$fb_pid" 2>/dev/null; then
        # A port another program holds: try other ones, three times in all.
        if [ $((starts += 1)) -lt 3 ] && grep -Eq 'could not bind|Failed to bind' "$work/fluent-bit.log"; then
            start
            continue
        fi
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
    # The file output escapes non-ASCII text (\uXXXX); jq turns the Japanese catalog text back
    # into readable text when it is installed.
    if command -v jq > /dev/null; then jq -c . "$out" > "$work/records.json"; else cp "$out" "$work/records.json"; fi
    summarize "$work/records.json"
fi
echo
echo "== $got of $want records came back through in_forward"
if grep -q '\[error\]' "$work/fluent-bit.log"; then
    echo "== fluent-bit reported errors:"
    grep '\[error\]' "$work/fluent-bit.log"
fi
[ "$got" -eq "$want" ]
