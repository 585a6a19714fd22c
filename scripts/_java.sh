# Sourced by scripts/*.sh: builds the reactor up to a module through Maven (which selects JDK 25) and
# sets JAVA and CP for running netmem programs with plain java. The module is NETMEM_MODULE
# (default tcp-devmem-demo); it must bind exec:exec@launch-info.
set -euo pipefail
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_module=${NETMEM_MODULE:-tcp-devmem-demo}
_env="$_root/$_module/target/launch.env"
if ! mvn -q -B -Dstyle.color=never -f "$_root/pom.xml" -pl "$_module" -am compile exec:exec@launch-info >&2; then
  echo "netmem: build failed (see the Maven output above)" >&2
  exit 3
fi
# shellcheck disable=SC1090
source "$_env"
