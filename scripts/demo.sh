#!/usr/bin/env bash
# netmem-help: zero-copy TCP receive demo (try --help); `demo send --to HOST:PORT --bytes N` is the sender
set -euo pipefail
export NETMEM_MODULE=tcp-devmem-demo
source "$(dirname "$0")/_java.sh"
# the io_uring driver calls the kernel through FFM (dev.netmem.uring, on the class path here)
exec "$JAVA" -Xmx512m --enable-native-access=ALL-UNNAMED -cp "$CP" dev.netmem.demo.DemoMain "$@"
