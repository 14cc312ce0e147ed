#!/usr/bin/env bash
# make bench-e2e: CPU per record that the enrich plugin adds to a real Fluent Bit, against an
# equivalent Lua filter.
#
# BENCH_LINES lines (default 1,000,000), cycled from the fixture lines, go through four
# pipelines, each in a fresh Fluent Bit:
#   base    tail -> null
#   lua     tail -> lua filter (bench/enrich.lua, table built from the catalog) -> null
#   enrich  tail -> enrich -> in_forward (unix socket) -> null, the shipped layout: no
#           Workers on enrich, Threaded On on in_forward (it survives hot reload)
#   workers the same with Workers 2 on enrich and in_forward on the engine thread (the layout
#           for Fluent Bit without hot reload)
# Fluent Bit starts with an empty watched directory; once its HTTP server answers, the line
# file is hard-linked in and the process's CPU time (utime+stime from /proc/<pid>/stat) is
# read. When the null output's proc_records (from /api/v1/metrics on 127.0.0.1) reaches
# BENCH_LINES, the CPU time is read again. The difference is that pipeline's cost; the cost
# added by lua or enrich is the difference from base. Each pipeline runs BENCH_RUNS times
# (default 3) and the median is reported.
#
# Needs a fluent-bit binary (FLUENT_BIT_BIN or PATH) built with Lua and Go plugin support,
# curl, and `make build` (make bench-e2e does that first).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

lines=${BENCH_LINES:-1000000}
runs=${BENCH_RUNS:-3}
# The waits compare counts with [ -ge ], which takes neither 1e6 nor 1,000,000.
[[ $lines =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || {
    echo "bench-e2e: BENCH_LINES ($lines) and BENCH_RUNS ($runs) must be whole numbers above 0" >&2
    exit 1
}
so="$root/build/out_enrich.so"
cli="$root/build/flb-enrich"
fluent_bit=${FLUENT_BIT_BIN:-$(command -v fluent-bit || true)}

if [ -z "$fluent_bit" ]; then
    echo "bench-e2e: needs Fluent Bit 5.x: put fluent-bit on PATH or set FLUENT_BIT_BIN" >&2
    exit 1
fi
command -v curl >/dev/null || { echo "bench-e2e: needs curl to read Fluent Bit's metrics" >&2; exit 1; }
for f in "$so" "$cli"; do
    if [ ! -f "$f" ]; then
        echo "bench-e2e: $f is missing; run make build" >&2
        exit 1
    fi
done

fixtures=()
for pattern in test/fixtures/real/*.log test/fixtures/lines/*.log; do
    for f in $pattern; do
        [ -f "$f" ] && fixtures+=("$f")
    done
done
if [ ${#fixtures[@]} -eq 0 ]; then
    echo "bench-e2e: no fixture lines found under test/fixtures/real or test/fixtures/lines" >&2
    exit 1
fi

work=$(mktemp -d /tmp/enrich-bench.XXXXXX)
fb_pid=""
cleanup() {
    if [ -n "$fb_pid" ] && kill -0 "$fb_pid" 2>/dev/null; then
        kill -KILL "$fb_pid" 2>/dev/null || true
        wait "$fb_pid" 2>/dev/null || true
    fi
    if [ -z "${BENCH_KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

awk -v n="$lines" -f bench/genlines.awk "${fixtures[@]}" > "$work/lines.log"
"$cli" catalog --format json > "$work/catalog.json"
"${GO:-go}" run ./bench/luacatalog < "$work/catalog.json" > "$work/catalog.lua"
export ENRICH_LUA_CATALOG="$work/catalog.lua"

clk_tck=$(getconf CLK_TCK)
# Below Linux's ephemeral ports (32768 and up), which outgoing connections take; a port
# another listener holds gets a new pick (run_once).
new_port() { port=$((20000 + RANDOM % 12000)); }
new_port

# config NAME writes the Fluent Bit configuration of one pipeline.
config() {
    local name=$1 dir=$work/$1
    cat <<EOF
[SERVICE]
    Flush        1
    Grace        5
    Log_Level    warn
    HTTP_Server  On
    HTTP_Listen  127.0.0.1
    HTTP_Port    $port

[INPUT]
    Name              tail
    Tag               net.bench
    Path              $dir/in/*.log
    Read_from_Head    On
    Refresh_Interval  1
EOF
    case $name in
    base)
        printf '\n[OUTPUT]\n    Name  null\n    Alias sink\n    Match net.*\n'
        ;;
    lua)
        cat <<EOF

[FILTER]
    Name         lua
    Match        net.*
    Script       $root/bench/enrich.lua
    Call         enrich
    Type_Int_Key severity documented_severity

[OUTPUT]
    Name  null
    Alias sink
    Match net.*
EOF
        ;;
    enrich|workers)
        local workers="" threaded="    Threaded   On"
        [ "$1" = workers ] && workers="    Workers            2" threaded=""
        cat <<EOF

[OUTPUT]
    Name               enrich
    Match              net.*
$workers
    Retry_Limit        no_limits
    Forward_Address    unix://$dir/fwd.sock

[INPUT]
    Name       forward
    Unix_Path  $dir/fwd.sock
    Unix_Perm  0600
$threaded

[OUTPUT]
    Name  null
    Alias sink
    Match enriched.*
EOF
        ;;
    esac
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

metrics() { curl -fsS --max-time 2 "http://127.0.0.1:$port/api/v1/metrics" 2>/dev/null || true; }

# sink_records prints the null output's proc_records from the metrics JSON.
sink_records() { sed -n 's/.*"sink":{"proc_records":\([0-9]*\).*/\1/p'; }

# run_once NAME prints the CPU seconds the pipeline spent on the lines.
run_once() {
    local name=$1 dir=$work/$1
    rm -rf "$dir"
    mkdir -p "$dir/in"
    local extra=()
    [ "$name" = enrich ] || [ "$name" = workers ] && extra=(-e "$so")
    local i attempt
    for attempt in 1 2 3 4 5; do
        config "$name" > "$dir/fluent-bit.conf"
        "$fluent_bit" "${extra[@]}" -c "$dir/fluent-bit.conf" > "$dir/fluent-bit.log" 2>&1 &
        fb_pid=$!
        for i in $(seq 1 300); do
            metrics | grep -q '"sink"' && break 2
            kill -0 "$fb_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -TERM "$fb_pid" 2>/dev/null || true
        wait "$fb_pid" 2>/dev/null || true
        fb_pid=""
        grep -q 'could not bind' "$dir/fluent-bit.log" || { cat "$dir/fluent-bit.log" >&2; return 1; }
        new_port
    done
    [ -n "$fb_pid" ] || { echo "bench-e2e: no free port for the HTTP server" >&2; return 1; }
    local c0 t0 c1 t1 n=0
    c0=$(cpu_ticks "$fb_pid")
    t0=$(date +%s.%N)
    ln "$work/lines.log" "$dir/in/lines.log"
    # Bounded: at most 20 minutes per run.
    for i in $(seq 1 12000); do
        sleep 0.1
        n=$(metrics | sink_records)
        [ -n "$n" ] && [ "$n" -ge "$lines" ] && break
        kill -0 "$fb_pid" 2>/dev/null || { echo "bench-e2e: fluent-bit exited ($name)" >&2; cat "$dir/fluent-bit.log" >&2; return 1; }
    done
    c1=$(cpu_ticks "$fb_pid")
    t1=$(date +%s.%N)
    kill -TERM "$fb_pid" 2>/dev/null || true
    wait "$fb_pid" 2>/dev/null || true
    fb_pid=""
    if [ -z "$n" ] || [ "$n" -lt "$lines" ]; then
        echo "bench-e2e: $name: only ${n:-0} of $lines records reached the output" >&2
        cat "$dir/fluent-bit.log" >&2
        return 1
    fi
    if grep -q '\[error\]' "$dir/fluent-bit.log"; then
        echo "bench-e2e: $name: fluent-bit reported errors:" >&2
        grep '\[error\]' "$dir/fluent-bit.log" | head -5 >&2
    fi
    awk -v c="$((c1 - c0))" -v hz="$clk_tck" -v t0="$t0" -v t1="$t1" \
        'BEGIN { printf "%.2f %.2f\n", c / hz, t1 - t0 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A cpu
echo "== $("$fluent_bit" --version | head -1), $lines lines from ${#fixtures[@]} fixture files, median of $runs runs"
for name in base lua enrich workers; do
    samples=()
    for r in $(seq 1 "$runs"); do
        # Not in a subshell, so that the EXIT trap sees and stops its fluent-bit.
        run_once "$name" > "$work/run"
        read -r c w < "$work/run"
        echo "   $name run $r: ${c} s CPU, ${w} s wall"
        samples+=("$c")
    done
    cpu[$name]=$(printf '%s\n' "${samples[@]}" | median)
done

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo
echo "machine: ${model:-unknown CPU}, $(nproc) cores, Linux $(uname -r), $("${GO:-go}" version | awk '{ print $3 }')"
awk -v n="$lines" -v b="${cpu[base]}" -v l="${cpu[lua]}" -v e="${cpu[enrich]}" -v w="${cpu[workers]}" 'BEGIN {
    printf "%-34s %10s %12s %16s\n", "pipeline", "CPU s", "us/record", "added us/record"
    printf "%-34s %10.2f %12.2f %16s\n", "tail -> null", b, b * 1e6 / n, "-"
    printf "%-34s %10.2f %12.2f %16.2f\n", "tail -> lua -> null", l, l * 1e6 / n, (l - b) * 1e6 / n
    printf "%-34s %10.2f %12.2f %16.2f\n", "tail -> enrich -> forward -> null", e, e * 1e6 / n, (e - b) * 1e6 / n
    printf "%-34s %10.2f %12.2f %16.2f\n", "  the same with Workers 2", w, w * 1e6 / n, (w - b) * 1e6 / n
    if (l > b) printf "enrich adds %.2fx the CPU per record that the Lua filter adds (%.2fx with Workers 2)\n", (e - b) / (l - b), (w - b) / (l - b)
}'
