inc='Bench2PagePoolPaths.fastPath|Bench3RxPath.rxPath'
for rep in 3 4 5 6 7 8; do
  echo "== base $rep $(date +%T)"; (cd /work/base && timeout 600 bash scripts/bench.sh --quick --no-demo --include "$inc" -p provider=host --results /tmp/ab2/base-$rep > /tmp/ab2/base-$rep.log 2>&1); echo rc=$?
  echo "== new $rep $(date +%T)"; (cd /tmp/ci1 && timeout 600 ./netmem bench --quick --no-demo --include="$inc" -p provider=host --results=/tmp/ab2/new-$rep > /tmp/ab2/new-$rep.log 2>&1); echo rc=$?
done
