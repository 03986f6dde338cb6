#!/usr/bin/env bash
# The README's test command: installs what is missing, builds Kueue-C twice
# (optimised, and with AddressSanitizer + LeakSanitizer + UndefinedBehavior-
# Sanitizer), runs every test in both builds, the server's again under
# ThreadSanitizer, checks that -O3 builds with gcc
# and clang compile without a warning (each optimiser level and compiler
# warns about different things), then runs each fuzzer for a short time.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/kq-deps.sh

# zsh and fish: the completion tests run the generated scripts in them;
# chromium opens the status page in the browser test, promtool checks
# /metrics.
kq_need_packages "${KQ_BUILD_PACKAGES[@]}" clang libclang-rt-dev procps zsh fish chromium
# Slurm for the allocation tests (as root; the test is skipped otherwise).
kq_need_slurm
KQ_PROMTOOL=$(kq_promtool "$PWD/build/promtool")
export KQ_PROMTOOL
jobs=$(nproc)

echo "== optimised build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== sanitized build (ASan, LSan, UBSan) and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKQ_SANITIZE=ON
cmake --build build-asan -j"$jobs"
ctest --test-dir build-asan --output-on-failure -j"$jobs"

echo "== ThreadSanitizer build, the server's tests (the store's folder thread)"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DKQ_TSAN=ON
cmake --build build-tsan -j"$jobs"
ctest --test-dir build-tsan --output-on-failure -j"$jobs" -R '^(server_|test_store$|test_journal$|extensions$|full_disk$|workflows$)'

echo "== Release builds with gcc and clang (compile only)"
cmake -S . -B build-release-gcc -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc
cmake --build build-release-gcc -j"$jobs"
cmake -S . -B build-release-clang -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang
cmake --build build-release-clang -j"$jobs"

echo "== fuzzing (libFuzzer, ${KQ_FUZZ_SECONDS:-20} s per target)"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DKQ_FUZZ=ON
cmake --build build-fuzz -j"$jobs" --target fuzz_framer fuzz_decode fuzz_store fuzz_tls
tests/fuzz/run.sh build-fuzz "${KQ_FUZZ_SECONDS:-20}"
echo "kueue-c: all tests passed"
