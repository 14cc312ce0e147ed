#!/bin/sh
# Fails when regenerating the catalog from catalog/sources would change the
# committed generated files (catalog/zz_generated.go, catalog/data/*).
set -eu
cd "$(dirname "$0")/../catalog"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${GO:-go} run ./internal/gen -q -out "$tmp"
status=0
for f in zz_generated.go data/catalog.json data/REPORT.md; do
	if [ ! -f "$f" ]; then
		echo "check-generated: catalog/$f is missing; run 'make catalog'" >&2
		status=1
	elif ! diff -u "$f" "$tmp/$f" >"$tmp/diff" 2>&1; then
		echo "check-generated: catalog/$f differs from what catalog/internal/gen produces from catalog/sources:" >&2
		head -n 40 "$tmp/diff" >&2
		status=1
	fi
done
if [ "$status" -ne 0 ]; then
	echo "check-generated: run 'make catalog' and commit the result (never edit generated files by hand)" >&2
	exit 1
fi
echo "check-generated: generated catalog is up to date"
