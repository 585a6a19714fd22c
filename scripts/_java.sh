# Sourced by scripts/*.sh: sets JAVA and CP for running a netmem program of module NETMEM_MODULE
# (default tcp-devmem-demo) with plain java, and _root (the repository root).
#
# Builds the module through Maven (which selects JDK 25; its exec:exec@launch-info writes
# target/launch.env) only when the build is missing or a pom or source changed since the last one
# (scripts/_stamp.sh, stored in target/launch.stamp): `--help` and repeated runs start at once.
# NETMEM_BUILD=always rebuilds; NETMEM_BUILD=never uses target/launch.env as it is (CI checks that run
# inside a Maven build).
set -euo pipefail
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_module=${NETMEM_MODULE:-tcp-devmem-demo}
_env="$_root/$_module/target/launch.env"
_stamp_file="$_root/$_module/target/launch.stamp"
case "${NETMEM_BUILD:-auto}" in
  never)
    if [ ! -f "$_env" ]; then
      echo "netmem: $_module is not built ($_env is missing) and NETMEM_BUILD=never" >&2
      exit 1
    fi
    ;;
  auto|always)
    _now=$(bash "$_root/scripts/_stamp.sh")
    if [ "${NETMEM_BUILD:-auto}" = always ] || [ ! -f "$_env" ] || [ ! -f "$_stamp_file" ] \
        || [ "$(cat "$_stamp_file")" != "$_now" ]; then
      echo "netmem: building $_module (sources changed since the last build)..." >&2
      if ! mvn -q -B --no-transfer-progress -f "$_root/pom.xml" -pl "$_module" -am compile exec:exec@launch-info >&2; then
        echo "netmem: the build failed (see the Maven output above)" >&2
        exit 1
      fi
      echo "$_now" > "$_stamp_file"
    fi
    ;;
  *)
    echo "netmem: NETMEM_BUILD must be auto, always or never: ${NETMEM_BUILD}" >&2
    exit 2
    ;;
esac
# shellcheck disable=SC1090
source "$_env"
