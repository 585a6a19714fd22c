# Sourced by scripts/*.sh: builds the reactor up to tcp-devmem-demo through Maven (which selects
# JDK 25) and sets JAVA and CP for running netmem programs with plain java.
set -euo pipefail
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_env="$_root/tcp-devmem-demo/target/launch.env"
if ! mvn -q -B -f "$_root/pom.xml" -pl tcp-devmem-demo -am compile exec:exec@launch-info >&2; then
  echo "netmem: build failed (see the Maven output above)" >&2
  exit 3
fi
# shellcheck disable=SC1090
source "$_env"
