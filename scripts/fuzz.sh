#!/usr/bin/env bash
# Runs every fuzz target of the module for DURATION each (default 30s),
# one at a time on one worker, so that it shares the machine politely.
# New crashers are written by `go test` under <package>/testdata/fuzz/,
# where they become regression seeds that plain `go test` replays.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-30s}"
status=0
while IFS= read -r file; do
  dir="./$(dirname "$file")"
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    echo "== $dir $target ($duration)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$duration" -parallel 1 "$dir"; then
      status=1
    fi
  done
done < <(grep -rlE '^func Fuzz[A-Za-z0-9_]+\(' --include='*_test.go' . | sed 's|^\./||' | sort)
exit $status
