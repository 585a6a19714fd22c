#!/usr/bin/env bash
# netmem-help: jcstress tests of the refcount and teardown races (--quick for CI, --full for releases)
set -euo pipefail
export NETMEM_MODULE=concurrency-tests
source "$(dirname "$0")/_java.sh"
mode=quick
for a in "$@"; do
  case "$a" in --full) mode=full ;; --jcstress) break ;; esac
done
# jcstress writes its result blob and HTML report into the working directory.
out="$_root/concurrency-tests/target/stress-$mode"
mkdir -p "$out"
cd "$out"
exec "$JAVA" -Xmx1g -cp "$CP" dev.netmem.stress.StressMain "$@"
