#!/usr/bin/env bash
# Prints a hash of what a build depends on: the name, size and mtime of every pom.xml, every file
# under a module's src/ and .mvn/. The launcher rebuilds when it differs from the one stored with the
# last build (target/launch.stamp of the module). Fast: no Maven, no JVM.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
find . \( -name .git -o -name target -o -name results \) -prune -o -type f \
  \( -name pom.xml -o -path './*/src/*' -o -path './.mvn/*' \) -printf '%p %s %T@\n' | LC_ALL=C sort | sha1sum \
  | cut -d' ' -f1
