#!/usr/bin/env bash
# Runs each fuzz target for a while, the decoders and the framer seeded with
# the reference's encodings and Kueue-C's extensions (the store's journal
# starts from nothing).
# usage: tests/fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail
build=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/decode" "$work/framer" "$work/store" "$work/tls"
n=0
while IFS=$'\t' read -r name json; do
    n=$((n + 1))
    printf '%s' "$json" > "$work/decode/golden$n"
    printf '\007%s' "$json" > "$work/framer/golden$n"
    # fuzz_tls: the same as a plain-text stream to a sniffing server and
    # as records of a real client, one byte of mode and one of chunk size.
    printf '\000\001%s' "$json" > "$work/tls/plain$n"
    printf '\002\003%s' "$json" > "$work/tls/records$n"
done < "$here/../data/golden.tsv"
# A TLS record header, then a truncated handshake and garbage.
printf '\000\000\026\003\001\000\100\001\000\000\074\003\003garbage' > "$work/tls/record"
printf '\001\000\026\003\003\100\000' > "$work/tls/toolong"
while IFS=$'\t' read -r name json original; do
    n=$((n + 1))
    printf '%s' "$json" > "$work/decode/extension$n"
    printf '\007%s' "$json" > "$work/framer/extension$n"
done < "$here/../data/extensions.tsv"
while IFS=$'\t' read -r type input verdict rest; do
    n=$((n + 1))
    printf '%s' "$input" > "$work/decode/case$n"
done < "$here/../data/decode-cases.tsv"

for target in fuzz_decode fuzz_framer fuzz_store fuzz_tls; do
    corpus=$work/${target#fuzz_}
    echo "-- $target for $seconds s"
    "$build/tests/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 \
        -max_len=8192 -timeout=10 "$corpus" 2>&1 | tail -n 12
done
