# Writes n log lines (awk -v n=1000000 -f genlines.awk FILE...) by cycling through the
# non-blank lines of the given files, so a benchmark sees the same mix of real messages,
# with and without IDs, as the fixtures hold.
NF > 0 { lines[count++] = $0 }
END {
    if (count == 0) { print "genlines: no input lines" > "/dev/stderr"; exit 1 }
    for (i = 0; i < n; i++) print lines[i % count]
}
