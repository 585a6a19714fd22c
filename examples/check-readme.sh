#!/usr/bin/env bash
# The README's examples are these sources: each README code block preceded by
#   <!-- example: examples/src/main/java/.../Foo.java -->
# must be the lines of that file between "// @readme-start" and "// @readme-end", less the marker's
# indentation. Exit 1 with a diff when one has drifted (or a marked file has no region);
# --write rewrites the README's blocks from the sources instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
readme=$root/README.md
expected=$(mktemp)
trap 'rm -f "$expected"' EXIT

region() {
  awk '/\/\/ @readme-start/ { on = 1; match($0, /^ */); ind = RLENGTH; n++; next }
       /\/\/ @readme-end/   { on = 0; next }
       on                   { print substr($0, ind + 1) }
       END                  { if (n != 1) exit 3 }' "$1"
}

blocks=0
: > "$expected"
skipping=0
while IFS= read -r line || [ -n "$line" ]; do
  if [ "$skipping" = 1 ]; then
    [ "$line" = '```' ] || continue
    skipping=0
  elif [ "$skipping" = 2 ]; then            # the fence opening the block
    case "$line" in '```'*) printf '%s\n' "$line" >> "$expected"; skipping=1
        if ! region "$root/$file" >> "$expected"; then
          echo "check-readme: $file has no single // @readme-start ... // @readme-end region" >&2; exit 1
        fi
        continue ;;
      *) echo "check-readme: no code block after <!-- example: $file -->" >&2; exit 1 ;;
    esac
  fi
  printf '%s\n' "$line" >> "$expected"
  if [[ "$line" =~ ^\<!--\ example:\ ([^ ]+)\ --\>$ ]]; then
    file=${BASH_REMATCH[1]}
    [ -f "$root/$file" ] || { echo "check-readme: $file (named in README.md) does not exist" >&2; exit 1; }
    blocks=$((blocks + 1))
    skipping=2
  fi
done < "$readme"

if [ "$blocks" = 0 ]; then
  echo "check-readme: README.md marks no example block" >&2
  exit 1
fi
if [ "${1:-}" = "--write" ]; then
  cp "$expected" "$readme"
  echo "check-readme: $blocks README block(s) written from the example sources"
elif diff -u --label README.md --label "README.md from the examples" "$readme" "$expected"; then
  echo "check-readme: $blocks README block(s) match the example sources"
else
  echo "check-readme: README.md has drifted from the examples (examples/check-readme.sh --write updates it)" >&2
  exit 1
fi
