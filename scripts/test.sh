#!/usr/bin/env bash
# The one command that runs every test: installs what is missing, builds with
# warnings as errors, and runs the whole suite twice — a normal build and an
# AddressSanitizer + UBSan build — then fuzzes each parser for a bounded time
# (KUW_FUZZ_SECONDS, default 20 per target). Each PostgreSQL test starts its
# own private cluster; nothing system-wide is used.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/deps.sh

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

status=0
passed=0
failed=0
for variant in normal asan; do
  dir="$top/build-test-$variant"
  opts=(-DKUW_WERROR=ON)
  [ "$variant" = asan ] && opts+=(-DKUW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  echo "== build ($variant)"
  bash scripts/build.sh "$dir" "${opts[@]}"
  echo "== tests ($variant)"
  log="$dir.ctest.log"
  if ! (cd "$dir" && ctest --output-on-failure -j "$(nproc)") 2>&1 | tee "$log"; then
    status=1
  fi
  # "100% tests passed, 0 tests failed out of 21"
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -z "$summary" ]; then
    status=1
  else
    f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+)/\1/' <<<"$summary")
    t=$(sed -E 's/.* failed out of ([0-9]+)/\1/' <<<"$summary")
    passed=$((passed + t - f))
    failed=$((failed + f))
  fi
done
echo "== fuzz"
if bash scripts/fuzz.sh "${KUW_FUZZ_SECONDS:-20}"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  status=1
fi
echo
echo "# ctest in the normal and the ASan+UBSan build, plus the fuzz run:"
echo "total: $passed passed, $failed failed"
exit $status
