#!/usr/bin/env bash
# netmem-help: print a bash/zsh completion script for ./netmem: source <(./netmem completion)
#
# Made by picocli from the programs' own command lines (dev.netmem.cli.Completion), so it lists what
# they accept. To keep it: ./netmem completion > ~/.local/share/bash-completion/completions/netmem
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cp_of() {
  (export NETMEM_MODULE=$1; source "$root/scripts/_java.sh"; printf '%s\n%s' "$JAVA" "$CP")
}
bench=$(cp_of bench)
tests=$(cp_of concurrency-tests)
exec "$(head -1 <<<"$bench")" -cp "$(tail -1 <<<"$bench"):$(tail -1 <<<"$tests")" dev.netmem.cli.Completion
