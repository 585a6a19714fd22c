#!/usr/bin/env bash
# Fails when a build log shows a Java stack trace: a passing `mvn -B verify` prints none (a test's
# expected failures are asserted, not printed; a user-facing command prints one line). Run by
# .ci/run on the log of the README's test command.
set -euo pipefail
log="$1"
traces=$(grep -nE '^(Exception in thread |Caused by: |[[:space:]]+at [[:alnum:]_.$/]+\([^)]*\)$)' "$log" || true)
if [ -n "$traces" ]; then
  echo "check-log: $log shows a stack trace (a clean run prints none):" >&2
  echo "$traces" | head -20 >&2
  exit 1
fi
echo "check-log: no stack trace in $log"
