#!/usr/bin/env bash
# netmem-help: run the JMH benchmarks (--quick: a few minutes) and write bench/results/
#
# usage: ./netmem bench [--quick] [--report-only] [--include REGEX] [-p NAME=V1,V2]...
#   (no option)    the full run: 2 forks, 4 x 1 s warm-up, 6 x 1 s measurement; about 15 minutes
#   --quick        every benchmark, 1 fork, short iterations: a few minutes
#   --report-only  regenerate latest.md, latest.png, summary.json from bench/results/latest.json
#   --include R    only benchmarks matching the JMH regex R; --prof P adds a JMH profiler (stack,
#                  perfasm:events=cpu-clock, ...); --results DIR writes there instead (for such runs)
# Writes bench/results/latest.json (JMH JSON), latest.md, latest.png, summary.json and
# performance-section.md; the console log also goes to bench/results/tmp/latest.log.
# Builds through Maven, which selects JDK 25 (maven-toolchains-plugin) and runs
# dev.netmem.bench.BenchMain from the reactor's class directories (the build makes no jars).
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
    # BenchMain runs in bench/: hand it an absolute results folder.
    --results) args+=("--results" "$(realpath -m "$2")"); shift ;;
    *) args+=("$1") ;;
  esac
  shift
done

mkdir -p bench/results/tmp
start=$(date +%s)
# bench.args is one Maven property; BenchMain splits it on spaces (no argument here contains one).
mvn -B -q -pl bench -am package exec:exec@jmh -DskipTests "-Dbench.args=${args[*]:-}" 2>&1 \
  | tee bench/results/tmp/latest.log
echo "[netmem-bench] done in $(( $(date +%s) - start )) s"
