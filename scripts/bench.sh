#!/usr/bin/env bash
# Runs every benchmark of docs/BENCHMARKS.md side by side with its baseline,
# in one run, and prints the table. Not part of the test command.
#
#   bash scripts/bench.sh            full run (1M consumers, 200k routes, 1 GB; ~5 min)
#   KUW_BENCH_SCALE=20 bash scripts/bench.sh    fixture scale (default 333, then topped up to 1M consumers)
#
# Installs what is missing (scripts/deps.sh, then dialog, hyperfine, sysstat),
# builds into build-bench/ with -DKUW_BENCH=ON (RelWithDebInfo), starts a
# private PostgreSQL sandbox (bench/bench_env.c) and removes everything on
# exit. Raw results go to build-bench/results/. Network: 127.0.0.1 only.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scale=${KUW_BENCH_SCALE:-333}
b="$top/build-bench"
res="$b/results"

# ---- dependencies and build
bash scripts/deps.sh
extra=()
for p in dialog hyperfine sysstat; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || extra+=("$p")
done
if [ ${#extra[@]} -gt 0 ]; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "Installing benchmark packages: ${extra[*]}"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${extra[@]}" >/dev/null
fi
mkdir -p "$b"
cmake -S "$top" -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKUW_BENCH=ON -DBUILD_TESTING=ON \
  >"$b.configure.log" 2>&1 || { cat "$b.configure.log"; exit 1; }
cmake --build "$b" -j "$(nproc)" --target kong-upgrade-wizard kong-sim \
  bench-env bench-proxy bench-pty bench-log bench-fleet >/dev/null
wiz="$b/kong-upgrade-wizard"
sim="$b/tests/kong-sim/kong-sim"
rm -rf "$res"
mkdir -p "$res"
work=$(mktemp -d /tmp/kuw-bench-XXXXXX)
chmod 0755 "$work"

# ---- clean-up of everything started here
env_pid=""
proxy_pid=""
idle_pid=""
cleanup() {
  [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
  [ -z "$idle_pid" ] || kill "$idle_pid" 2>/dev/null || true
  exec 7>&- 2>/dev/null || true   # bench-env sees end of file and removes the sandbox
  [ -z "$env_pid" ] || wait "$env_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n== %s\n' "$*" >&2; }
# hyperfine CSV: command,mean,stddev,median,user,system,min,max -> the mean of row N (1-based)
hmean() { awk -F, -v n="$2" 'NR == n + 1 { print $2 }' "$1"; }
r() { printf '%s %s\n' "$1" "$2" >>"$res/results.txt"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# ---- the machine
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
  echo "memory: $(free -g | awk '/^Mem:/ { print $2 }') GiB"
  echo "kernel: $(uname -r)"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "postgresql: $(ls /usr/lib/postgresql | sort -V | tail -1)"
  echo "commit: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "scale: $scale"
} >"$res/machine.txt"
cat "$res/machine.txt" >&2

# ---- the datastore
say "datastore: sandbox, ee-0.36 (scale 1) and ce-1.3 (scale $scale); loading may take minutes"
mkfifo "$work/env.in"
"$b/bench/bench-env" --kong-sim "$sim" --log-statements --db small:ee-0.36:1 \
  --db screen:ee-0.36:1 --db up:ee-0.36:1 --db big:ce-1.3:"$scale" --topup big <"$work/env.in" >"$work/env.out" &
env_pid=$!
exec 7>"$work/env.in"
for _ in $(seq 1 1800); do
  grep -q '^READY=1' "$work/env.out" && break
  kill -0 "$env_pid" 2>/dev/null || { echo "bench-env failed" >&2; exit 1; }
  sleep 1
done
grep -q '^READY=1' "$work/env.out" || { echo "bench-env: not ready after 30 min" >&2; exit 1; }
# shellcheck disable=SC1090
. <(grep '^[A-Z_a-z]*=' "$work/env.out")
cp "$work/env.out" "$res/env.txt"
export PGPASSWORD=kong
psql_kong() { "$PG_BINDIR/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U kong "$@"; }
r load_big_s "$LOAD_S_big"
r big_consumers "$(psql_kong -d big -Atc 'select count(*) from consumers')"
r big_routes "$(psql_kong -d big -Atc 'select count(*) from routes')"
r big_bytes "$(psql_kong -d big -Atc 'select pg_database_size(current_database())')"

# ---- 1. check latency
say "1. check latency: wizard check vs psql 'select 1' (no added delay)"
hyperfine -N -i --warmup 3 --runs 20 --export-csv "$res/check.csv" \
  "$wiz -c $WCONF_small check" \
  "$PG_BINDIR/psql -X -h 127.0.0.1 -p $PG_PORT -U kong -d small -c 'select 1'" >&2
r check_ms "$(awk -v m="$(hmean "$res/check.csv" 1)" 'BEGIN { printf "%.1f", m * 1000 }')"
r psql1_ms "$(awk -v m="$(hmean "$res/check.csv" 2)" 'BEGIN { printf "%.1f", m * 1000 }')"

say "1b. the same with 20 ms of round-trip time (delay proxy, 10 ms each way)"
# netem needs sch_netem in the kernel; where tc has it, a namespace would do.
# The proxy is what works everywhere (see docs/BENCHMARKS.md).
pport=$((PG_PORT + 1000))
sed "s/^pg_port = .*/pg_port = $pport/" "$KCONF_small" >"$work/kong-rtt.conf"
sed "s#$KCONF_small#$work/kong-rtt.conf#" "$WCONF_small" >"$work/wizard-rtt.conf"
"$b/bench/bench-proxy" "$pport" "$PG_PORT" 10 "$work/rtt.txt" &
proxy_pid=$!
sleep 0.3
hyperfine -N -i --warmup 1 --runs 10 --export-csv "$res/check-rtt.csv" \
  "$wiz -c $work/wizard-rtt.conf check" \
  "$PG_BINDIR/psql -X -h 127.0.0.1 -p $pport -U kong -d small -c 'select 1'" >&2
r check_rtt_ms "$(awk -v m="$(hmean "$res/check-rtt.csv" 1)" 'BEGIN { printf "%.1f", m * 1000 }')"
r psql1_rtt_ms "$(awk -v m="$(hmean "$res/check-rtt.csv" 2)" 'BEGIN { printf "%.1f", m * 1000 }')"
: >"$work/rtt.txt"
PGAPPNAME=kong-sim "$wiz" -c "$work/wizard-rtt.conf" check >/dev/null || true
PGAPPNAME=psql-baseline "$PG_BINDIR/psql" -X -q -h 127.0.0.1 -p "$pport" -U kong -d small -c 'select 1' >/dev/null || true
sleep 0.5
kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true; proxy_pid=""
cp "$work/rtt.txt" "$res/round-trips.txt"
awk '{ split($1, a, "="); split($2, b, "="); app = a[2] ~ /^kong-upgrade-wizard/ ? "wizard" : a[2];
       rt[app] += b[2]; conns[app]++ }
     END { for (k in rt) printf "rt_%s %d\nconns_%s %d\n", k, rt[k], k, conns[k] }' \
  "$work/rtt.txt" >>"$res/results.txt"
# What the kong stand-in costs inside a check (two commands the wizard runs).
hyperfine -N -i --warmup 3 --runs 20 --export-csv "$res/kong-sim.csv" \
  "$sim version" "$sim migrations list -c $KCONF_small" >&2
r kong_version_ms "$(awk -v m="$(hmean "$res/kong-sim.csv" 1)" 'BEGIN { printf "%.1f", m * 1000 }')"
r kong_list_ms "$(awk -v m="$(hmean "$res/kong-sim.csv" 2)" 'BEGIN { printf "%.1f", m * 1000 }')"
# The wizard's statements in the server log (one check, no delay).
lines=$(wc -l <"$SB_DIR/server.log")
PGAPPNAME=kong-sim "$wiz" -c "$WCONF_small" check >/dev/null || true
sleep 0.3
tail -n +"$((lines + 1))" "$SB_DIR/server.log" >"$res/check-statements.log"
r wizard_statements "$(grep -c 'app=kong-upgrade-wizard.*LOG:  statement:' "$res/check-statements.log" || true)"
r wizard_connections "$(grep -c 'connection authorized: .*application_name=kong-upgrade-wizard' "$res/check-statements.log" || true)"
r kong_statements "$(grep -c 'app=kong-sim.*LOG:  execute' "$res/check-statements.log" || true)"

# ---- 2. terminal bytes, then 7. idle in the background
say "2. terminal bytes at 80x24: the wizard vs dialog --gauge"
# The first full screen: the wizard on a fresh ee-0.36 datastore (Welcome).
"$b/bench/bench-pty" --cols 80 --rows 24 --duration 2000 -- "$wiz" -c "$WCONF_screen" >"$res/pty-first.txt"
r wiz_first_bytes "$(awk -F'bytes=' '/^burst 1 /{ print $2 }' "$res/pty-first.txt")"
# Progress updates: 'up' started headless with kong-sim slowed to 1.5 s per
# migration, the follower interrupted (the run goes on), then the wizard
# re-attaches on the Up screen; every burst after its first is an update.
"$wiz" -c "$WCONF_up" backup >"$res/up-backup.txt"
KONG_SIM_DELAY_MS=1500 "$wiz" -c "$WCONF_up" up >"$work/up.out" 2>&1 &
up_pid=$!
for _ in $(seq 1 100); do grep -q 'migrat' "$work/up.out" && break; sleep 0.1; done
kill -INT "$up_pid"; wait "$up_pid" 2>/dev/null || true
"$b/bench/bench-pty" --cols 80 --rows 24 --duration 6000 -- "$wiz" -c "$WCONF_up" >"$res/pty-up.txt"
r wiz_up_first_bytes "$(awk -F'bytes=' '/^burst 1 /{ print $2 }' "$res/pty-up.txt")"
r wiz_update_n "$(awk '/^burst / { n++ } END { print n - 1 }' "$res/pty-up.txt")"
r wiz_update_max "$(awk -F'bytes=' '/^burst /{ if (++n > 1 && $2 > m) m = $2 } END { print m + 0 }' "$res/pty-up.txt")"
# dialog shows the same progress: Kong's lines of the run as the gauge's text, 0 -> 100 %.
runlog=$(ls -d "$SB_DIR"/state-up/runs/*/log | head -1)
cp "$runlog" "$res/up-run.log"
grep -v '^#' "$runlog" | grep . >"$work/up-lines.txt"
n=$(wc -l <"$work/up-lines.txt")
cat >"$work/feed.sh" <<'FEED'
n=$(wc -l <"$1"); i=0
while IFS= read -r line; do
  i=$((i + 1)); printf 'XXX\n%d\n%s\nXXX\n' $((i * 100 / n)) "$line"; sleep 0.25
done <"$1"
FEED
"$b/bench/bench-pty" --cols 80 --rows 24 --duration $((n * 250 + 2000)) -- sh -c \
  "sh $work/feed.sh $work/up-lines.txt | dialog --gauge 'kong migrations up' 10 76 0; sleep 1" \
  >"$res/pty-dialog.txt"
r dialog_first_bytes "$(awk -F'bytes=' '/^burst 1 /{ print $2 }' "$res/pty-dialog.txt")"
# Its updates: every burst after the first but the last (dialog's exit).
r dialog_update_max "$(awk -F'bytes=' '/^burst /{ b[++n] = $2 } END { for (i = 2; i < n; i++) if (b[i] > m) m = b[i]; print m + 0 }' "$res/pty-dialog.txt")"

say "7. idle: the wizard on its Welcome screen for 60 s (background)"
"$b/bench/bench-pty" --duration 63000 --idle-from 3000 -- "$wiz" -c "$WCONF_screen" >"$res/idle.txt" &
idle_pid=$!

# ---- 3. log streaming
say "3. log streaming: runner + log pane vs tail -f into a terminal"
for mb in 1 10 100; do
  by=$((mb * 1000000))
  "$b/bench/bench-log" run "$by" "$work/state-log-$mb" 200 >"$res/log-$mb.txt"
  "$b/bench/bench-log" run "$by" "$work/state-logt-$mb" 0 >"$res/log-tight-$mb.txt"
  rm -rf "$work/state-log-$mb" "$work/state-logt-$mb"
  : >"$work/tail.log"
  t0=$(date +%s.%N)
  tail_bytes=$(script -q -e -c "sh -c '$b/bench/bench-log gen $by >> $work/tail.log & g=\$!; tail -s 0.05 -n +1 --pid=\$g -f $work/tail.log & wait \$g; wait'" /dev/null | wc -c) || true
  t1=$(date +%s.%N)
  r "tail_${mb}_bytes" "$tail_bytes"
  rm -f "$work/tail.log"
  r "log_${mb}_s" "$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$res/log-$mb.txt")"
  r "log_${mb}_rss_kb" "$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' "$res/log-$mb.txt")"
  r "log_tight_${mb}_s" "$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$res/log-tight-$mb.txt")"
  r "log_tight_${mb}_rss_kb" "$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' "$res/log-tight-$mb.txt")"
  r "tail_${mb}_s" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
done

# ---- 4. scale
say "4. scale: wizard check on $(grep big_consumers "$res/results.txt" | cut -d' ' -f2) consumers vs psql counts"
tables=$(psql_kong -d big -Atc "select string_agg(format('(select count(*) from %I)', t), ', ' order by t)
  from unnest(array['services','routes','consumers','plugins','upstreams','targets','certificates',
  'snis','ca_certificates','acls','basicauth_credentials','hmacauth_credentials','jwt_secrets',
  'keyauth_credentials','oauth2_credentials','workspaces','workspace_entities','rbac_users',
  'rbac_roles','admins','developers','files','legacy_files','vitals_node_meta']) t
  where to_regclass(t) is not null")
echo "select $tables" >"$work/counts.sql"
hyperfine -N -i --warmup 1 --runs 5 --export-csv "$res/scale.csv" \
  "$wiz -c $WCONF_big check" \
  "$PG_BINDIR/psql -X -h 127.0.0.1 -p $PG_PORT -U kong -d big -f $work/counts.sql" >&2
r scale_check_ms "$(awk -v m="$(hmean "$res/scale.csv" 1)" 'BEGIN { printf "%.1f", m * 1000 }')"
r scale_psql_ms "$(awk -v m="$(hmean "$res/scale.csv" 2)" 'BEGIN { printf "%.1f", m * 1000 }')"

# ---- 5. backups
say "5. backup of database 'big' ($(numfmt --to=iec "$(grep big_bytes "$res/results.txt" | cut -d' ' -f2)")): wizard vs pg_dump -Fc"
mkdir -p "$work/dump"
# Two rounds, alternating, so neither side always has the warmer cache; the means are kept.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
dump_sum=0
backup_sum=0
for round in 1 2; do
  rm -rf "$SB_DIR/backups-big"
  t0=$(date +%s.%N)
  "$PG_BINDIR/pg_dump" -Fc -h 127.0.0.1 -p "$PG_PORT" -U kong -d big -f "$work/dump/bare.dump"
  t1=$(date +%s.%N)
  r "dump_${round}_s" "$(secs "$t0" "$t1")"
  dump_sum=$(awk -v a="$dump_sum" -v b="$(secs "$t0" "$t1")" 'BEGIN { print a + b }')
  r dump_bytes "$(stat -c %s "$work/dump/bare.dump")"
  rm -f "$work/dump/bare.dump"
  t0=$(date +%s.%N)
  "$wiz" -c "$WCONF_big" backup >"$res/backup.txt"
  t1=$(date +%s.%N)
  r "backup_${round}_s" "$(secs "$t0" "$t1")"
  backup_sum=$(awk -v a="$backup_sum" -v b="$(secs "$t0" "$t1")" 'BEGIN { print a + b }')
done
r dump_s "$(awk -v a="$dump_sum" 'BEGIN { printf "%.2f", a / 2 }')"
r backup_s "$(awk -v a="$backup_sum" 'BEGIN { printf "%.2f", a / 2 }')"
bfile=$(ls -t "$SB_DIR/backups-big"/* | head -1)
r backup_bytes "$(stat -c %s "$bfile")"
# Verification on its own: what the wizard does after the dump (list the archive; the hash is
# computed while streaming). Timed by hand on the wizard's file.
t0=$(date +%s.%N)
"$PG_BINDIR/pg_restore" --list "$bfile" >/dev/null
t1=$(date +%s.%N)
r verify_list_s "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
t0=$(date +%s.%N)
"$PG_BINDIR/pg_restore" -f /dev/null "$bfile"
t1=$(date +%s.%N)
r verify_read_s "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
rm -rf "$SB_DIR/backups-big"

# ---- 6. fleet
say "6. fleet: 200 stand-in nodes polled every 1 s for 30 s"
"$b/bench/bench-fleet" "$sim" 200 30 1000 >"$res/fleet.txt"
for k in cpu_pct jitter_ms_p50 jitter_ms_p99 jitter_ms_max refresh_ms_p50 refresh_ms_max reachable; do
  r "fleet_$k" "$(tr ' ' '\n' <"$res/fleet.txt" | sed -n "s/^$k=//p")"
done

# ---- 7. idle (collect)
say "7. idle: waiting for the 60 s window to end"
wait "$idle_pid" || true
idle_pid=""
r idle_cpu_ms "$(tr ' ' '\n' <"$res/idle.txt" | sed -n 's/^idle_cpu_ms=//p')"
r idle_wakeups "$(tr ' ' '\n' <"$res/idle.txt" | sed -n 's/^idle_wakeups=//p')"
r idle_window_ms "$(tr ' ' '\n' <"$res/idle.txt" | sed -n 's/^idle_window_ms=//p')"

# ---- the table
v() { awk -v k="$1" '$1 == k { print $2; exit }' "$res/results.txt"; }
rss_flat=$(awk -v a="$(v log_1_rss_kb)" -v b="$(v log_100_rss_kb)" 'BEGIN { printf "%+d KB", b - a }')
{
  echo
  echo "| # | measurement | wizard | baseline | ratio | target |"
  echo "| --- | --- | --- | --- | --- | --- |"
  echo "| 1 | check wall time (loopback) | $(v check_ms) ms | psql select 1: $(v psql1_ms) ms | $(ratio "$(v check_ms)" "$(v psql1_ms)")x | <= 2x |"
  echo "| 1 | check wall time (+20 ms RTT) | $(v check_rtt_ms) ms | psql select 1: $(v psql1_rtt_ms) ms | $(ratio "$(v check_rtt_ms)" "$(v psql1_rtt_ms)")x | <= 2x |"
  echo "| 1 | of which kong stand-in: version + migrations list | $(v kong_version_ms) + $(v kong_list_ms) ms | | | |"
  echo "| 1 | DB round trips of one check | wizard $(v rt_wizard) ($(v conns_wizard) connections, $(v wizard_statements) statements); kong $(v rt_kong-sim) | psql select 1: $(v rt_psql-baseline) | $(ratio "$(v rt_wizard)" "$(v rt_psql-baseline)")x | <= 4 |"
  echo "| 2 | terminal bytes, first screen 80x24 (Welcome) | $(v wiz_first_bytes) B | dialog --gauge: $(v dialog_first_bytes) B | $(ratio "$(v wiz_first_bytes)" "$(v dialog_first_bytes)")x | < 6 KB |"
  echo "| 2 | terminal bytes, Up screen re-attached | $(v wiz_up_first_bytes) B | | | < 6 KB |"
  echo "| 2 | terminal bytes, largest of $(v wiz_update_n) progress updates during up | $(v wiz_update_max) B | dialog: $(v dialog_update_max) B | $(ratio "$(v wiz_update_max)" "$(v dialog_update_max)")x | <= 1x |"
  for mb in 1 10 100; do
    echo "| 3 | log ${mb} MB, 200 ms tick (wizard) | $(v log_${mb}_s) s, RSS $(v log_${mb}_rss_kb) KB | tail -f to a pty: $(v tail_${mb}_s) s | $(ratio "$(v log_${mb}_s)" "$(v tail_${mb}_s)")x time | RSS < 20 MB, time <= 1x |"
    echo "| 3 | log ${mb} MB, polled back to back | $(v log_tight_${mb}_s) s, RSS $(v log_tight_${mb}_rss_kb) KB | tail -f: $(v tail_${mb}_s) s | $(ratio "$(v log_tight_${mb}_s)" "$(v tail_${mb}_s)")x time | |"
  done
  echo "| 3 | RSS growth 1 MB -> 100 MB | $rss_flat | | | flat |"
  echo "| 4 | check on $(v big_consumers) consumers, $(v big_routes) routes | $(v scale_check_ms) ms | psql counts: $(v scale_psql_ms) ms | $(ratio "$(v scale_check_ms)" "$(v scale_psql_ms)")x | <= 1.2x |"
  echo "| 5 | backup of $(numfmt --to=iec "$(v big_bytes)") database (mean of 2) | $(v backup_s) s | pg_dump -Fc: $(v dump_s) s | $(ratio "$(v backup_s)" "$(v dump_s)")x | <= 1.05x |"
  echo "| 5 | backup less its verification | $(awk -v a="$(v backup_s)" -v b="$(v verify_list_s)" -v c="$(v verify_read_s)" 'BEGIN { printf "%.2f", a - b - c }') s | pg_dump -Fc: $(v dump_s) s | $(ratio "$(awk -v a="$(v backup_s)" -v b="$(v verify_list_s)" -v c="$(v verify_read_s)" 'BEGIN { print a - b - c }')" "$(v dump_s)")x | <= 1.05x |"
  echo "| 5 | verification alone (pg_restore --list / full read) | $(v verify_list_s) s / $(v verify_read_s) s | | | reported |"
  echo "| 6 | fleet 200 nodes @ 1 s: CPU of one core | $(v fleet_cpu_pct) % | | | < 5 % |"
  echo "| 6 | fleet refresh jitter p50 / p99 / max | $(v fleet_jitter_ms_p50) / $(v fleet_jitter_ms_p99) / $(v fleet_jitter_ms_max) ms | | | < 100 ms |"
  echo "| 7 | idle 60 s on the Welcome screen | $(v idle_cpu_ms) ms CPU, $(v idle_wakeups) wakeups | | | ~0 |"
} | tee "$res/table.md"
echo "Raw results: $res" >&2
