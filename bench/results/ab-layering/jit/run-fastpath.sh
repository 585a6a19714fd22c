#!/usr/bin/env bash
# usage: run.sh TREE OUT STATS [extra jmh args...]; one JMH fork of Bench2PagePoolPaths.fastPath, provider=host
set -uo pipefail
t=$1; out=$2; stats=$3; shift 3
CP="$t/bench/target/classes:$(cat $t/bench/target/cp.txt)"
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd $t/bench
timeout 150 $J -Djava.awt.headless=true -cp "$CP" org.openjdk.jmh.Main 'Bench2PagePoolPaths.fastPath' \
  -p provider=host -p stats=$stats -jvmArgs "-Xms1g -Xmx1g -Djava.awt.headless=true --sun-misc-unsafe-memory-access=allow ${JVMX:-}" \
  -rf json -rff $out.json "$@" > $out.log 2>&1
echo "rc=$? $(grep -E '^Bench2PagePoolPaths.fastPath' $out.log | tail -1)"
