#!/usr/bin/env bash
# The README's first command: installs what is missing and builds Kueue-C.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/kq-deps.sh

kq_need_packages "${KQ_BUILD_PACKAGES[@]}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
echo "kueue-c: built in build/"
