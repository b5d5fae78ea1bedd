#!/usr/bin/env bash
# Engine overhead benchmark: 2,000 trivial operations (`true`) in stages of 20 with
# `--throttle 16`, beside `xargs -P16` running the same 2,000 commands. Prints both wall times,
# their ratio (goal: at most 1.5) and the engine's peak memory.
#
# Each side runs REPEAT times (alternating, the engine always in a fresh copy of the deployment);
# the medians are compared. The work folder is made under $TMPDIR (TMPDIR=/dev/shm measures the
# engine without the disk). KEEP=1 keeps it.
#
# Usage: scripts/bench-engine.sh [OPERATIONS] [STAGE_SIZE] [THROTTLE] [REPEAT]
set -euo pipefail

ops=${1:-2000}
stage=${2:-20}
throttle=${3:-16}
repeat=${4:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin="$repo/target/release/avdeploy"
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

# The deployment: one module, operations op-0001..op-N, parallel_group = stage number.
dir="$work/deploy"
mkdir -p "$dir/modules/bench/operations"
printf 'bench:\n  name: "engine"\n' > "$dir/config.yaml"
{
  printf 'module:\n  id: "bench"\n  name: "bench"\n  operations:\n'
  for ((i = 1; i <= ops; i++)); do
    printf '    - id: "op-%04d"\n      parallel_group: %d\n' "$i" $(((i - 1) / stage + 1))
  done
} > "$dir/modules/bench/module.yaml"
for ((i = 1; i <= ops; i++)); do
  printf 'operation:\n  id: "op-%04d"\n  duration: { expected: 1, timeout: 60, type: FAST }\n  template:\n    type: "bash-script"\n    command: "true"\n' "$i" \
    > "$dir/modules/bench/operations/op-$i.yaml"
done

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The reference: the same commands (bash running a script that runs `true`) under xargs.
mkdir -p "$work/scripts"
for ((i = 1; i <= ops; i++)); do printf 'true\n' > "$work/scripts/op-$i.sh"; done

: > "$work/xargs.times"
: > "$work/engine.times"
: > "$work/engine.rss"
# One copy of the deployment per engine run, made up front: every run starts on a fresh folder,
# and no run pays for the deletion of the previous run's files.
for ((r = 1; r <= repeat; r++)); do cp -r "$dir" "$dir-$r"; done

for ((r = 1; r <= repeat; r++)); do
  start=$(now)
  ls "$work"/scripts/*.sh | xargs -P "$throttle" -n 1 bash
  echo "$(now) - $start" | bc >> "$work/xargs.times"

  start=$(now)
  /usr/bin/time -f '%M' -o "$work/rss" "$bin" -C "$dir-$r" run bench --throttle "$throttle" > "$work/run.out"
  echo "$(now) - $start" | bc >> "$work/engine.times"
  tail -n 1 "$work/rss" >> "$work/engine.rss"
  grep -q "completed in" "$work/run.out" || { cat "$work/run.out"; exit 1; }
done

xargs_s=$(median < "$work/xargs.times")
engine_s=$(median < "$work/engine.times")
rss_kb=$(sort -n "$work/engine.rss" | tail -n 1)
printf 'operations: %d in stages of %d, throttle %d, %d runs each (median)\n' "$ops" "$stage" "$throttle" "$repeat"
printf 'xargs -P%d:        %6.2f s  (%s)\n' "$throttle" "$xargs_s" "$(tr '\n' ' ' < "$work/xargs.times")"
printf 'avdeploy run:     %6.2f s  (%s)\n' "$engine_s" "$(tr '\n' ' ' < "$work/engine.times")"
printf 'ratio:            %6.2fx (goal <= 1.5x)\n' "$(echo "$engine_s / $xargs_s" | bc -l)"
printf 'engine peak RSS:  %6.1f MiB\n' "$(echo "$rss_kb / 1024" | bc -l)"
