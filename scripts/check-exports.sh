#!/bin/sh
# check-exports.sh SO: fail unless the shared object exports every symbol
# Fluent Bit's Go proxy calls (dlsym; FLBPluginFlush and FLBPluginExit are
# only its fallbacks when the *Ctx variants are missing) and the C header cgo
# generated for it declares the Go exports with the argument types the proxy
# passes (FLBPluginInit and FLBPluginExitCtx are C functions in plugin/flb.c,
# in front of the Go exports enrichInit and enrichExitCtx).
set -eu

so=${1:?usage: check-exports.sh path/to/out_enrich.so}
[ -f "$so" ] || { echo "check-exports: $so does not exist" >&2; exit 1; }
command -v nm >/dev/null 2>&1 || { echo "check-exports: nm not found (install binutils)" >&2; exit 1; }

exports=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }')
missing=""
for sym in FLBPluginRegister FLBPluginInit FLBPluginFlushCtx FLBPluginExitCtx; do
    printf '%s\n' "$exports" | grep -qx "$sym" || missing="$missing $sym"
done
if [ -n "$missing" ]; then
    echo "check-exports: $so does not export:$missing" >&2
    exit 1
fi

# go build -buildmode=c-shared writes the prototypes next to the .so.
header=${so%.so}.h
if [ -f "$header" ]; then
    for proto in \
        'int FLBPluginRegister(void\* def);' \
        'int enrichInit(void\* plugin);' \
        'int FLBPluginFlushCtx(void\* ctx, void\* data, size_t length, char\* tag);' \
        'int enrichExitCtx(void\* ctx);'; do
        grep -q "^extern $proto" "$header" || {
            echo "check-exports: $header lacks the prototype: $proto" >&2
            exit 1
        }
    done
fi
echo "check-exports: $so exports every Fluent Bit entry point"
