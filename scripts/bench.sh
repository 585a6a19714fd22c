#!/usr/bin/env bash
# netmem-help: run the JMH benchmarks and the demo (--quick: a few minutes) and write bench/results/
#
# usage: ./netmem bench [--quick] [--no-demo] [--report-only] [--include REGEX] [-p NAME=V1,V2]...
#   (no option)    the full run: 2 forks, 4 x 1 s warm-up, 6 x 1 s measurement; about 15 minutes
#   --quick        every benchmark, 1 fork, short iterations: a few minutes
#   --no-demo      skip the demo runs (zero-copy vs copy, dmabuf and user-ring) before the benchmarks
#   --report-only  regenerate latest.md, latest.png, summary.json from bench/results/latest.json
#   --include R    only benchmarks matching the JMH regex R; --prof P adds a JMH profiler (stack,
#                  perfasm:events=cpu-clock, ...); --results DIR writes there instead (for such runs)
# Writes bench/results/latest.json (JMH JSON), latest.md, latest.png, summary.json and
# performance-section.md, and the demo's JSON summaries in bench/results/demo/; the console log
# also goes to bench/results/tmp/latest.log. Builds through Maven, which selects JDK 25
# (maven-toolchains-plugin) and runs dev.netmem.bench.BenchMain from the reactor's class
# directories (the build makes no jars).
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
results=bench/results
demo=1
demo_seconds=10
# A demo run that has not finished by then is stopped: its figures stay pending.
demo_timeout=60
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
    --no-demo) demo=0 ;;
    --quick) demo_seconds=2; demo_timeout=40; args+=("$1") ;;
    --report-only|--include|--prof) demo=0; args+=("$1") ;;
    # BenchMain runs in bench/: hand it an absolute results folder.
    --results) results=$(realpath -m "$2"); args+=("--results" "$results"); shift ;;
    *) args+=("$1") ;;
  esac
  shift
done

mkdir -p bench/results/tmp
start=$(date +%s)
if [ "$demo" = 1 ]; then
  # The demo's JSON summary is its last line of output; Report uses a run only if it verified.
  rm -rf "$results/demo"
  mkdir -p "$results/demo"
  for provider in dmabuf user-ring; do
    for mode in zerocopy copy; do
      out="bench/results/tmp/demo-$provider-$mode"
      echo "[netmem-bench] demo --provider $provider --mode $mode --seconds $demo_seconds"
      rc=0
      timeout "$demo_timeout" bash scripts/demo.sh --provider "$provider" --mode "$mode" \
        --seconds "$demo_seconds" --json --quiet > "$out.out" 2> "$out.err" || rc=$?
      last=$(tail -n 1 "$out.out")
      if [[ "$last" == "{"* ]]; then
        echo "$last" > "$results/demo/$provider-$mode.json"
      fi
      [ "$rc" = 124 ] && echo "[netmem-bench] demo stopped after ${demo_timeout} s"
      echo "[netmem-bench] demo exited $rc: $(grep -m1 '^received' "$out.err" || echo 'no summary')"
    done
  done
fi
# bench.args is one Maven property; BenchMain splits it on spaces (no argument here contains one).
mvn -B -q -pl bench -am package exec:exec@jmh -DskipTests "-Dbench.args=${args[*]:-}" 2>&1 \
  | tee bench/results/tmp/latest.log
echo "[netmem-bench] done in $(( $(date +%s) - start )) s"
