#!/usr/bin/env bash
# netmem-help: soak: all providers, bind/unbind/restarts and faults while traffic runs (--seconds N)
set -euo pipefail
export NETMEM_MODULE=concurrency-tests
source "$(dirname "$0")/_java.sh"
exec "$JAVA" -ea -Xmx1g -cp "$CP" dev.netmem.soak.SoakMain "$@"
