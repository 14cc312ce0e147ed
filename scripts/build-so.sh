#!/bin/sh
# build-so.sh GOARCH OUT [VERSION]: build out_enrich.so for linux/GOARCH so that
# it loads on glibc 2.17 and newer (RHEL 7/8, Amazon Linux 2, Ubuntu 20.04 ...).
#
#   - the pure-Go resolver and user lookups (netgo, osusergo): no res_search or
#     getpwnam_r, which newer glibc versions;
#   - Go's runtime/cgo calls pthread_* functions that glibc 2.32/2.34 moved from
#     libpthread into libc under new symbol versions. Their versions are cleared,
#     so that each binds to the implementation the running glibc has (libpthread
#     on older ones, libc on newer), and libpthread.so.0 is made a dependency so
#     that it is loaded where it holds them. The same goes for dlsym, which the
#     plugin uses to find Fluent Bit's metrics functions and which 2.34 moved
#     from libdl into libc. Only pthread_* and dl* are cleared: any other symbol
#     newer than 2.17 is left for the symbol test to refuse.
#
# Cross builds use Debian's cross compilers (gcc-aarch64-linux-gnu,
# gcc-x86-64-linux-gnu); CC overrides the compiler for the host's own arch.
set -eu

arch=${1:?usage: build-so.sh GOARCH OUT [VERSION]}
out=${2:?usage: build-so.sh GOARCH OUT [VERSION]}
version=${3:-}

if [ "$arch" = "$("${GO:-go}" env GOHOSTARCH)" ]; then
    cc=${CC:-cc}
else
    case $arch in
    amd64) cc=x86_64-linux-gnu-gcc ;;
    arm64) cc=aarch64-linux-gnu-gcc ;;
    *) echo "build-so: unsupported GOARCH $arch (amd64, arm64)" >&2; exit 1 ;;
    esac
fi
command -v "$cc" >/dev/null 2>&1 || { echo "build-so: C compiler $cc not found (see CONTRIBUTING.md: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)" >&2; exit 1; }
command -v patchelf >/dev/null 2>&1 || { echo "build-so: patchelf not found (apt-get install patchelf)" >&2; exit 1; }
command -v readelf >/dev/null 2>&1 || { echo "build-so: readelf not found (apt-get install binutils)" >&2; exit 1; }

# libpthread and libdl are made dependencies at link time, by file name (on glibc 2.34 and newer
# -lpthread finds an empty libpthread.a): patchelf --add-needed would rewrite the program headers,
# putting GNU_STACK before the data segment, where Go's debug/buildinfo (go version -m,
# govulncheck, image scanners) then finds no build information ("not a Go executable").
ldflags="-extldflags=-Wl,--no-as-needed,-l:libpthread.so.0,-l:libdl.so.2"
[ -n "$version" ] && ldflags="$ldflags -X github.com/enrich-plugin/enrich/version.Version=$version"

[ ! -d "$out" ] || { echo "build-so: $out is a directory; want a file path" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
# Built and patched under a temporary name, then renamed over OUT: a Fluent Bit that has the old
# build loaded maps its pages, and dies of a SIGSEGV with no output when they are rewritten; a
# failed build keeps the old file, and no one loads a build that is not patched yet.
case $(basename "$out") in
*.*) hdr=${out%.*}.h ;; # where go build puts the C header: OUT without its extension
*) hdr=$out.h ;;
esac
tmp=$(dirname "$out")/.build-so.$$.so
trap 'rm -f "$tmp" "${tmp%.so}.h"' EXIT
CGO_ENABLED=1 GOOS=linux GOARCH="$arch" CC="$cc" \
    "${GO:-go}" build -buildmode=c-shared -trimpath -tags netgo,osusergo -ldflags "$ldflags" -o "$tmp" ./plugin

# Undefined pthread_* and dl* symbols with a GLIBC_2.N version above 2.17.
syms=$(readelf --dyn-syms -W "$tmp" | awk '$7 == "UND" && $8 ~ /^(pthread_[a-z_]+|dl[a-z]+)@GLIBC_2\.[0-9]+/ {
    split($8, p, "@GLIBC_2."); split(p[2], v, /[^0-9]/)
    if (v[1] + 0 > 17) print p[1]
}')
args=""
for s in $syms; do args="$args --clear-symbol-version $s"; done
# shellcheck disable=SC2086 # word splitting of the flag list is intended
[ -z "$args" ] || patchelf $args "$tmp"
# Their versions stay in the list of those libc must define, and a glibc without one refuses
# the whole .so ("version `GLIBC_2.34' not found"): each above 2.17 is marked weak (vna_flags,
# 2 bytes at offset 4 of its entry), which the loader does not require.
for at in $(readelf -V -W "$tmp" | awk '/^Version needs/ { getline; off = $4 }
    off != "" && $2 == "Name:" && $3 ~ /^GLIBC_2\.[0-9]+/ {
        split($3, p, "GLIBC_2."); split(p[2], v, /[^0-9]/)
        if (v[1] + 0 > 17) print off "+" substr($1, 1, length($1) - 1)
    }'); do
    printf '\002\000' | dd of="$tmp" bs=1 seek=$(($at + 4)) conv=notrunc status=none
done
mv -f "${tmp%.so}.h" "$hdr"
mv -f "$tmp" "$out"
