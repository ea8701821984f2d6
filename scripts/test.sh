#!/usr/bin/env bash
# The full test suite: formatting, a -Werror build with every unit and end-to-end test, then
# the same tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
# CREDKIT_SKIP_SANITIZERS=1 leaves out the second pass (it doubles the time).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/check-format.sh

BUILD_DIR=build scripts/build.sh
ctest --test-dir build --output-on-failure -j2

if [ "${CREDKIT_SKIP_SANITIZERS:-0}" != 1 ]; then
  BUILD_DIR=build-sanitize scripts/build.sh -DCREDKIT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  ctest --test-dir build-sanitize --output-on-failure -j2
fi
