#!/usr/bin/env bash
# Hostile input, the slow part (the fast corpus runs in `cargo test --test hostile_corpus` and
# `--test hostile_input`): huge and special files. Each case must end with exit 2 and a message,
# no panic, nothing executed; the script prints the wall time and peak memory of `validate` on
# each.
#
# Usage: scripts/hostile.sh
# Needs GNU time (/usr/bin/time). BIN=path/to/avdeploy uses that binary instead of building the
# release one.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${BIN:-}" ]]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  BIN="$root/target/release/avdeploy"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A valid deployment of one operation that leaves `ran` behind if it ever runs.
base() {
  local dir=$1
  rm -rf "$dir"
  mkdir -p "$dir/modules/m/operations"
  printf 'app:\n  name: "demo"\n' > "$dir/config.yaml"
  printf 'module:\n  id: "m"\n  operations:\n    - id: "op"\n' > "$dir/modules/m/module.yaml"
  printf 'operation:\n  id: "op"\n  template:\n    type: "bash-script"\n    command: "touch ran"\n' \
    > "$dir/modules/m/operations/op.yaml"
}

failures=0
check() {
  local name=$1 expect=$2 dir="$work/case"
  local out="$work/out" err="$work/err" stats="$work/stats" code=0
  timeout 60 /usr/bin/time -f '%e %M' -o "$stats" "$BIN" -C "$dir" validate > "$out" 2> "$err" || code=$?
  local seconds kib
  read -r seconds kib < <(tail -1 "$stats")
  local verdict=ok
  if ((code != 2)); then
    verdict="FAILED: exit $code"
  elif grep -q panicked "$err"; then
    verdict="FAILED: panicked"
  elif ! grep -q -- "$expect" "$err"; then
    verdict="FAILED: no \`$expect\` in the message"
  elif ! timeout 60 "$BIN" -C "$dir" run all --simulate > /dev/null 2>&1 && [[ ! -e "$dir/ran" ]]; then
    verdict=ok
  else
    verdict="FAILED: run did not refuse, or something ran"
  fi
  [[ $verdict == ok ]] || failures=$((failures + 1))
  printf '%-44s %-8s %6.2f s %7d MB\n' "$name" "${verdict%%:*}" "$seconds" $((kib / 1024))
  [[ $verdict == ok ]] || { echo "  $verdict"; head -5 "$err" | sed 's/^/  /'; }
}

printf '%-44s %-8s %8s %10s\n' case verdict time "peak mem"

base "$work/case"
{ echo 'app:'; printf '  blob: "%s"\n' "$(head -c 50000000 /dev/zero | tr '\0' x)"; } > "$work/case/config.yaml"
check "config.yaml of 50 MB" "at most 8 MiB"

base "$work/case"
{ echo 'app:'; for ((i = 0; i < 300000; i++)); do echo "  k$i: \"value-$i\""; done; } > "$work/case/config.yaml"
check "config.yaml of 300,000 keys (6.5 MB)" "operations can be given at most"

base "$work/case"
{
  echo 'b0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'
  for ((i = 1; i < 10; i++)); do
    printf 'b%d: &b%d [' "$i" "$i"
    for ((j = 0; j < 10; j++)); do printf '*b%d, ' $((i - 1)); done
    echo ']'
  done
} > "$work/case/config.yaml"
check "alias bomb (10^10 nodes expanded)" "alias bomb"

base "$work/case"
{ echo 'a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]'; for ((i = 0; i < 20000; i++)); do echo "k$i: *a"; done; } > "$work/case/config.yaml"
check "20,000 aliases of a 10-node list" "alias bomb"

base "$work/case"
python_free_deep=$(printf '%*s' 200000 '' | tr ' ' '[')
printf 'app: %s1\n' "$python_free_deep" > "$work/case/config.yaml"
check "200,000 nested flow lists" "recursion limit"

base "$work/case"
head -c 9000000 /dev/zero | tr '\0' '#' > "$work/case/modules/m/operations/big.yaml"
check "operation file of 9 MB" "at most 8 MiB"

base "$work/case"
rm "$work/case/config.yaml"
ln -s /dev/zero "$work/case/config.yaml"
check "config.yaml linked to /dev/zero" "not a regular file"

base "$work/case"
rm "$work/case/modules/m/module.yaml"
mkfifo "$work/case/modules/m/module.yaml"
check "module.yaml a FIFO (nobody writes)" "cannot be read"

base "$work/case"
for ((i = 0; i < 2000; i++)); do mkdir -p "$work/case/modules/x$i"; done
check "2,000 module folders without module.yaml" "does not exist"

base "$work/case"
head -c 3000000 /dev/urandom > "$work/case/modules/m/operations/noise.yaml"
check "operation file of 3 MB random bytes" "error"

if ((failures > 0)); then
  echo "hostile: $failures case(s) FAILED"
  exit 1
fi
echo "hostile: every case refused with exit 2 and a message, no panic, nothing ran"
