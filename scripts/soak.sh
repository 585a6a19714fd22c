#!/usr/bin/env bash
# netmem-help: soak: all providers, bind/unbind/restarts and faults while traffic runs (--seconds N)
set -euo pipefail
export NETMEM_MODULE=concurrency-tests
source "$(dirname "$0")/_java.sh"
# its in-process demo runs use the io_uring driver, which calls the kernel through FFM
exec "$JAVA" -ea -Xmx1g --enable-native-access=ALL-UNNAMED -cp "$CP" dev.netmem.soak.SoakMain "$@"
