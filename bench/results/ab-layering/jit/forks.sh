#!/usr/bin/env bash
# usage: [BENCH="fastPath rxPath"] forks.sh OUT REPS TREE...; REPS alternating rounds over the
# benchmarks and trees, each one JMH fork (3 x 2 s warm-up, 5 x 2 s measurement, provider host) of
#   fastPath  Bench2PagePoolPaths.fastPath, stats off, pinned to CPU 1 (taskset; one thread)
#   rxPath    Bench3RxPath.rxPath, 1024-byte payloads (two threads: not pinned)
# JSON in OUT/<bench>/<tree>-<rep>.json (BENCH defaults to fastPath). Each TREE is a worktree built
# as README.md says; forks.py OUT/fastPath and forks.py OUT/rxPath print each tree's per-fork medians.
set -uo pipefail
out=$1; reps=$2; shift 2
benches=${BENCH:-fastPath}
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for bench in $benches; do
  case "$bench" in
    fastPath|rxPath) mkdir -p "$out/$bench" ;;
    *) echo "BENCH holds fastPath and rxPath only: $bench" >&2; exit 2 ;;
  esac
done
for r in $(seq 1 "$reps"); do
  for bench in $benches; do
    if [ "$bench" = fastPath ]; then
      sel='Bench2PagePoolPaths.fastPath'; params=(-p stats=false); pin=(taskset -c 1)
    else
      sel='Bench3RxPath.rxPath'; params=(-p payloadSize=1024); pin=()
    fi
    for t in "$@"; do
      o="$out/$bench/$(basename "$t")-$r"
      (cd "$t/bench" && timeout 300 "${pin[@]}" "$J" -cp "$t/bench/target/classes:$(cat "$t/bench/target/cp.txt")" \
        org.openjdk.jmh.Main "$sel" -p provider=host "${params[@]}" \
        -jvmArgs "-Xms1g -Xmx1g -Djava.awt.headless=true --sun-misc-unsafe-memory-access=allow" \
        -f 1 -wi 3 -i 5 -w 2s -r 2s -rf json -rff "$o.json" > "$o.log" 2>&1)
      echo "$r $bench $(basename "$t") rc=$? $(grep -E "^Bench[0-9]" "$o.log" | tail -1)"
    done
  done
done
