#!/usr/bin/env bash
# The one command that runs every test: installs what is missing, builds with
# warnings as errors, and runs the whole suite twice — a normal build and an
# AddressSanitizer + UBSan build — then fuzzes each parser for a bounded time
# (KUW_FUZZ_SECONDS, default 20 per target). Each PostgreSQL test starts its
# own private cluster; nothing system-wide is used. Ends with the figures line
# (docs/RELIABILITY.md), printed whatever failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/deps.sh

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

fuzz_secs=${KUW_FUZZ_SECONDS:-20}

# The drills and bad-input tests append one record per drill or input to
# $KUW_FIGURES_DIR/figures.tsv (tests/support/testenv.h: testenv_figure):
# "drill NAME run" when a drill starts, "drill NAME passed" once all its checks
# held, "badinput NAME tried" / "badinput NAME handled exit N". Counted here
# from the records, never from what a test says of itself.
figures_of() {
  local f="$top/build-test-$1/figures/figures.tsv"
  if [ ! -s "$f" ]; then
    echo "none recorded"
    return
  fi
  awk -F '\t' -v what="$2" '
    $1 == "drill" && $3 == "run" { run++ }
    $1 == "drill" && $3 == "passed" { pass++ }
    $1 == "drill" && $3 == "skipped" { skip++ }
    $1 == "badinput" && $3 == "tried" { tried++ }
    $1 == "badinput" && $3 ~ /^handled exit / { handled++; code[substr($3, 14)]++ }
    END {
      if (what == "drills") {
        printf "%d run, %d passed", run, pass
        if (skip > 0) printf ", %d skipped", skip
      } else {
        printf "%d tried, %d refused as documented", tried, handled
        sep = " ("
        for (c = 0; c < 256; c++) if (c in code) { printf "%sexit %d: %d", sep, c, code[c]; sep = ", " }
        if (sep == ", ") printf ")"
      }
    }' "$f"
}

# fuzz.sh leaves one line per target: NAME, executions, crashed (0 or 1).
fuzz_figures() {
  local f="$top/build-fuzz/fuzz-figures.tsv"
  if [ ! -s "$f" ]; then
    echo "not run"
    return
  fi
  awk -F '\t' -v secs="$fuzz_secs" '
    { n++; runs += $2; crashes += $3 }
    END { printf "%d targets x %d s, %.0f executions, %d crash%s", n, secs, runs, crashes, crashes == 1 ? "" : "es" }' "$f"
}

figures_printed=0
print_figures() {
  [ "$figures_printed" = 1 ] && return
  figures_printed=1
  echo "figures: drills $(figures_of normal drills) (ASan+UBSan build: $(figures_of asan drills));" \
    "bad inputs $(figures_of normal badinput); fuzz $(fuzz_figures)"
}
trap print_figures EXIT

status=0
passed=0
failed=0
rm -f "$top/build-fuzz/fuzz-figures.tsv"
for variant in normal asan; do
  dir="$top/build-test-$variant"
  opts=(-DKUW_WERROR=ON)
  [ "$variant" = asan ] && opts+=(-DKUW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  rm -rf "$dir/figures"
  echo "== build ($variant)"
  bash scripts/build.sh "$dir" "${opts[@]}"
  mkdir -p "$dir/figures"
  echo "== tests ($variant)"
  log="$dir.ctest.log"
  if ! (cd "$dir" && KUW_FIGURES_DIR="$dir/figures" ctest --output-on-failure -j "$(nproc)") 2>&1 \
    | tee "$log"; then
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
if bash scripts/fuzz.sh "$fuzz_secs"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  status=1
fi
echo
echo "# ctest in the normal and the ASan+UBSan build, plus the fuzz run:"
echo "total: $passed passed, $failed failed"
print_figures
exit $status
