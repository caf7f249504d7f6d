#!/usr/bin/env bash
# The one command that runs every test: installs what is missing, builds with
# warnings as errors, and runs the whole suite twice — a normal build and an
# AddressSanitizer + UBSan build. Each PostgreSQL test starts its own private
# cluster; nothing system-wide is used.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/deps.sh

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

status=0
for variant in normal asan; do
  dir="$top/build-test-$variant"
  opts=(-DKUW_WERROR=ON)
  [ "$variant" = asan ] && opts+=(-DKUW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  echo "== build ($variant)"
  bash scripts/build.sh "$dir" "${opts[@]}"
  echo "== tests ($variant)"
  if ! (cd "$dir" && ctest --output-on-failure -j "$(nproc)"); then
    status=1
  fi
done
exit $status
