#!/usr/bin/env bash
# Runs every fuzz target of the module for DURATION each (default 30s),
# one at a time on one worker, so that it shares the machine politely.
# New crashers are written by `go test` under <package>/testdata/fuzz/,
# where they become regression seeds that plain `go test` replays.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-30s}"
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# go test ends a fuzz run cleanly on Ctrl-C, so without this the next target would start.
trap 'exit 130' INT
while IFS= read -r file; do
  dir="./$(dirname "$file")"
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    echo "== $dir $target ($duration)"
    if "${GO:-go}" test -run '^$' -fuzz "^${target}\$" -fuzztime "$duration" -parallel 1 "$dir" 2>&1 | tee "$log"; [ "${PIPESTATUS[0]}" -ne 0 ]; then
      # Go's fuzzer can fail at the very end of a time-bounded run with
      # "context deadline exceeded" and no failing input (golang/go#75804):
      # that is not a finding. Anything else, or a written input, is.
      if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
        echo "== $dir $target: ended by the fuzzer's own deadline race, no failing input"
      else
        status=1
      fi
    fi
  done
done < <(grep -rlE '^func Fuzz[A-Za-z0-9_]+\(' --include='*_test.go' . | sed 's|^\./||' | sort)
exit $status
