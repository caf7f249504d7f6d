#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) in
# build-fuzz and runs each for a bounded time on a scratch copy of its seed
# corpus, so the tree is never modified. Installs nothing (scripts/deps.sh
# does); needs no terminal and no network.
# Usage: scripts/fuzz.sh [SECONDS]   (or KUW_FUZZ_SECONDS; default 30 per target)
# Exits 1 when a target crashed, naming the input that did it and the command
# that reproduces it; the inputs stay in build-fuzz/fuzz-artifacts. Leaves
# build-fuzz/fuzz-figures.tsv: one line per target, "NAME<TAB>executions<TAB>
# crashed (0 or 1)", for the test command's figures line.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

secs=${1:-${KUW_FUZZ_SECONDS:-30}}
if ! [[ $secs =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS]   (a positive number of seconds per target)" >&2
  exit 2
fi

dir="$top/build-fuzz"
artifacts="$dir/fuzz-artifacts"
# The journal and wizard config targets write a file per run: keep it in RAM.
tmpbase=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && tmpbase=/dev/shm
scratch=$(mktemp -d "$tmpbase/kuw-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

echo "== build (clang, libFuzzer, ASan + UBSan) in $dir"
mkdir -p "$dir"
cmake -S "$top" -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKUW_FUZZ=ON -DKUW_WERROR=ON -DBUILD_TESTING=OFF >"$dir.configure.log" 2>&1 \
  || { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" --target kuw_fuzz -j "$(nproc)"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TMPDIR="$scratch/tmp"
mkdir -p "$TMPDIR"

targets=()
for src in "$top"/tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  [ "$name" = fuzz_util ] || targets+=("$name")
done

echo "== fuzz: ${#targets[@]} targets, $secs s each"
figures="$dir/fuzz-figures.tsv"
: >"$figures"
crashed=0
for name in "${targets[@]}"; do
  bin="$dir/tests/fuzz/$name"
  corpus="$scratch/corpus/$name"
  log="$dir/$name.log"
  mkdir -p "$corpus" "$artifacts/$name"
  cp -R "$top/tests/fuzz/corpus/$name/." "$corpus/"
  rm -f "$artifacts/$name"/*
  rc=0
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name/" "$corpus" >"$log" 2>&1 </dev/null || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
  # Without the final stats (a hard crash), the last progress line "#N ...".
  [ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
  [ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$log" | tail -n 1)
  artifact=$(find "$artifacts/$name" -type f | head -n 1)
  if [ "$rc" -eq 0 ] && [ -z "$artifact" ]; then
    printf '%s\t%s\t0\n' "$name" "${runs:-0}" >>"$figures"
    echo "$name: ${runs:-?} runs in ${took:-$secs} s, no crash"
    continue
  fi
  printf '%s\t%s\t1\n' "$name" "${runs:-0}" >>"$figures"
  crashed=$((crashed + 1))
  echo "$name: CRASH (exit status $rc) after ${runs:-?} runs; log: $log"
  grep -E '^(FUZZ-FAIL|==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 5 | sed 's/^/  /' || true
  if [ -n "$artifact" ]; then
    echo "  input: $artifact"
    echo "  reproduce: $bin $artifact"
  fi
done

if [ "$crashed" -eq 0 ]; then
  echo "fuzz: ${#targets[@]} targets, $secs s each, no crash"
  exit 0
fi
echo "fuzz: $crashed of ${#targets[@]} targets crashed; add each input to tests/fuzz/corpus/<target>/ once fixed"
exit 1
