#!/usr/bin/env bash
# netmem-help: zero-copy TCP receive demo (try --help); `demo send --to HOST:PORT --bytes N` is the sender
set -euo pipefail
export NETMEM_MODULE=tcp-devmem-demo
source "$(dirname "$0")/_java.sh"
exec "$JAVA" -Xmx512m -cp "$CP" dev.netmem.demo.DemoMain "$@"
