#!/usr/bin/env bash
# The launcher as a user meets it, checked in `mvn verify` (bench module, integration-test phase, with
# NETMEM_BUILD=never: it runs the programs that build made). Each check prints "ok: ..." or fails the
# build with what it saw. Standalone, after a build: NETMEM_BUILD=never bash scripts/check/launcher.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "launcher check FAILED: $*" >&2
  for f in "$work"/*.out "$work"/*.err; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}
ok() { echo "ok: $*"; }

# expect CODE "ONE STDERR LINE" COMMAND...: the exit code and the whole of stderr
expect() {
  local code=$1 line=$2 rc=0
  shift 2
  "$@" > "$work/cmd.out" 2> "$work/cmd.err" || rc=$?
  [ "$rc" = "$code" ] || fail "$* exited $rc, not $code"
  [ "$(cat "$work/cmd.err")" = "$line" ] || fail "$*: stderr was '$(cat "$work/cmd.err")', not '$line'"
}

# A results folder whose receive-benchmark and JMH results must survive: a marker in each.
results() {
  rm -rf "$work/r"
  mkdir -p "$work/r"
  for f in recv.json latest.json summary.json; do
    echo '{"marker":true}' > "$work/r/$f"
  done
}
markers_intact() {
  for f in recv.json latest.json summary.json; do
    [ "$(cat "$work/r/$f" 2>/dev/null)" = '{"marker":true}' ] || return 1
  done
}

# 1. Options are parsed before anything runs or is deleted.
committed=$(cat bench/results/*.json | sha1sum)
expect 2 "netmem bench: Unknown option: '--bogus' (see ./netmem bench --help)" ./netmem bench --bogus
[ "$(cat bench/results/*.json | sha1sum)" = "$committed" ] || fail "bench --bogus changed bench/results"
results
expect 2 "netmem bench: Unknown option: '--bogus' (see ./netmem bench --help)" \
  ./netmem bench --quick --results "$work/r" --bogus
markers_intact || fail "bench --bogus changed the results"
[ ! -e "$work/r/tmp" ] || fail "bench --bogus started a run (it made $work/r/tmp)"
ok "bench --bogus: exit 2, one line, nothing run or deleted"

# 2. Runtime failures: one line, exit 1. (The programs' other errors are checked in-process by DemoTest,
# StressMainTest and SoakTest; concurrency-tests is built after this module.)
mkdir -p "$work/empty"
expect 1 "netmem bench: nothing to report: $work/empty/latest.json does not exist (./netmem bench writes it)" \
  ./netmem bench --no-recv --report-only --results "$work/empty"
ok "bench --report-only without results: exit 1, one line"

# 3. --help answers without Maven when the build is current, and the launcher rebuilds when it is not.
mkdir -p "$work/bin"
printf '#!/bin/sh\ntouch "%s/mvn-called"\nexit 1\n' "$work" > "$work/bin/mvn"
chmod +x "$work/bin/mvn"
stamp=tcp-devmem-demo/target/launch.stamp
saved=$(cat "$stamp" 2>/dev/null || true)
bash scripts/_stamp.sh > "$stamp"
PATH="$work/bin:$PATH" NETMEM_BUILD=auto ./netmem demo --help > "$work/help.out" 2> "$work/help.err" \
  || fail "demo --help with a current build exited non-zero"
[ ! -e "$work/mvn-called" ] || fail "demo --help ran Maven although the build is current"
head -1 "$work/help.out" | grep -q '^Usage: netmem demo ' || fail "demo --help printed no usage"
grep -q '^Exit codes:' "$work/help.out" || fail "demo --help does not document the exit codes"
echo stale > "$stamp"
rc=0
PATH="$work/bin:$PATH" NETMEM_BUILD=auto ./netmem demo --help > "$work/stale.out" 2> "$work/stale.err" || rc=$?
if [ -n "$saved" ]; then echo "$saved" > "$stamp"; else rm -f "$stamp"; fi
[ -e "$work/mvn-called" ] || fail "a changed source did not rebuild"
[ "$rc" = 1 ] && grep -q '^netmem: the build failed' "$work/stale.err" || fail "a failed build was not reported (exit $rc)"
ok "demo --help without Maven when the build is current; a changed source rebuilds"

# 4. Maven's output carries no escape sequences (.mvn/jvm.config).
mvn -q -B -pl api validate > "$work/mvn.out" 2> "$work/mvn.err" || fail "mvn validate failed"
if grep -q $'\x1b' "$work/mvn.out" "$work/mvn.err"; then fail "Maven wrote escape sequences"; fi
ok "mvn -q -B: no ESC sequences on stdout or stderr"

# 5. Ctrl-C (SIGINT to the foreground process group, as a terminal sends it) during the bench's receive
# phase stops the run and every child process; so does SIGTERM to the bench JVM alone. The bench runs
# in a session of its own; perl restores SIGINT, which bash ignores in background jobs.
bench_until_demo() {
  results
  setsid perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"' \
    ./netmem bench --quick --results "$work/r" > "$work/bench.out" 2> "$work/bench.err" &
  bench=$!
  for _ in $(seq 1 240); do
    if ps -o args= -s "$bench" | grep -q 'dev\.netmem\.demo\.Consumer'; then
      return 0
    fi
    kill -0 "$bench" 2> /dev/null || fail "the bench ended before its first consumer JVM started"
    sleep 0.5
  done
  fail "no demo consumer appeared within 120 s"
}
all_gone() {
  local rc=0
  for _ in $(seq 1 60); do
    [ -z "$(ps -o pid= -s "$bench" || true)" ] && break
    sleep 0.5
  done
  left=$(ps -o pid=,args= -s "$bench" | cut -c1-120 || true)
  [ -z "$left" ] || { kill -KILL -- -"$bench" 2> /dev/null || true; fail "$1 left: $left"; }
  wait "$bench" || rc=$?
  [ "$rc" = "$2" ] || fail "$1: the bench exited $rc, not $2"
  markers_intact || fail "$1: an interrupted receive phase replaced the results"
}
bench_until_demo
kill -INT -- -"$bench"
all_gone "Ctrl-C in the receive phase" 130
ok "Ctrl-C in the bench's receive phase: the bench and its consumer JVMs all exited (130), results kept"
bench_until_demo
kill -TERM "$bench"
all_gone "SIGTERM to the bench JVM" 143
ok "SIGTERM to the bench JVM alone: every child process stopped too (143)"
