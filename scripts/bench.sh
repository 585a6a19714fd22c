#!/usr/bin/env bash
# netmem-help: run the receive benchmark and the JMH benchmarks (--quick: shorter) and write bench/results/ (try --help)
#
# dev.netmem.bench.BenchMain checks the options, runs the receive benchmark (the io_uring driver calls the
# kernel through FFM: native access for the class path) and JMH in its own
# JVM, and writes bench/results/; Ctrl-C stops it and every process it started.
set -euo pipefail
export NETMEM_MODULE=bench
source "$(dirname "$0")/_java.sh"
cd "$_root"
exec "$JAVA" -Djava.awt.headless=true --enable-native-access=ALL-UNNAMED -cp "$CP" dev.netmem.bench.BenchMain "$@"
