#!/usr/bin/env bash
# netmem-help: run the demo and the JMH benchmarks (--quick: a few minutes) and write bench/results/ (try --help)
#
# dev.netmem.bench.BenchMain checks the options, runs the demos as child processes and JMH in its own
# JVM, and writes bench/results/; Ctrl-C stops it and every process it started.
set -euo pipefail
export NETMEM_MODULE=bench
source "$(dirname "$0")/_java.sh"
cd "$_root"
exec "$JAVA" -Djava.awt.headless=true -cp "$CP" dev.netmem.bench.BenchMain "$@"
