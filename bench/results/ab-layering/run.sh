#!/usr/bin/env bash
# A/B of the hot paths before (ce8a0e8, the last commit before the rxqueue layering) and after (main):
# the JMH fast path and RX path, full JMH settings (2 forks, 4 x 1 s warm-up, 6 x 1 s measurement),
# provider host, the two trees alternating so drift hits both alike. Needs a worktree of ce8a0e8 at
# $BASE (git worktree add --detach /work/base ce8a0e8) and a quiet machine; rep.py prints the medians.
set -uo pipefail
BASE=${BASE:-/work/base}
NEW=$(cd "$(dirname "$0")/../../.." && pwd)
OUT=${OUT:-/tmp/ab3}
REPS=${REPS:-4}
inc='Bench2PagePoolPaths.fastPath|Bench3RxPath.rxPath'
mkdir -p "$OUT"
for rep in $(seq 1 "$REPS"); do
  echo "== base $rep $(date +%T)"; (cd "$BASE" && timeout 900 bash scripts/bench.sh --no-demo --include "$inc" -p provider=host --results "$OUT/base-$rep" > "$OUT/base-$rep.log" 2>&1); echo rc=$?
  echo "== new $rep $(date +%T)"; (cd "$NEW" && timeout 900 ./netmem bench --no-recv --include="$inc" -p provider=host --results="$OUT/new-$rep" > "$OUT/new-$rep.log" 2>&1); echo rc=$?
done
