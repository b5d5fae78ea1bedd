#!/usr/bin/env bash
# Engine overhead benchmark: N trivial operations (bash running `true`) run by
# `avdeploy run all --simulate --throttle T` beside `xargs -P T` running the same N commands,
# for each N of SIZES. Prints, per N, both wall times (medians of REPEAT runs, alternating),
# their ratio, operations per second and the peak memory of each side.
#
# The operations are independent (one parallel group, or stages of STAGE when STAGE is set), so
# both sides only have the throttle to respect. Each engine run starts in a fresh copy of the
# deployment. The work folder is made under $TMPDIR (TMPDIR=/dev/shm measures the engine without
# the disk); KEEP=1 keeps it. BIN=path skips the release build.
#
# Usage: SIZES="100 1000 10000" THROTTLE=8 REPEAT=3 STAGE= scripts/bench-overhead.sh
set -euo pipefail

sizes=${SIZES:-100 1000 10000}
throttle=${THROTTLE:-8}
repeat=${REPEAT:-3}
stage=${STAGE:-}
repo=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z ${BIN:-} ]]; then
  cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
fi
bin=${BIN:-$repo/target/release/avdeploy}
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The deployment of $1 operations in $2: one module, op-1..op-N, each running `true`.
generate() {
  local ops=$1 dir=$2
  mkdir -p "$dir/modules/bench/operations"
  printf 'bench:\n  name: "engine"\n' > "$dir/config.yaml"
  {
    printf 'module:\n  id: "bench"\n  name: "bench"\n  operations:\n'
    for ((i = 1; i <= ops; i++)); do
      printf '    - id: "op-%d"\n      parallel_group: %d\n' "$i" $((stage ? (i - 1) / stage + 1 : 1))
    done
  } > "$dir/modules/bench/module.yaml"
  for ((i = 1; i <= ops; i++)); do
    printf 'operation:\n  id: "op-%d"\n  duration: { expected: 1, timeout: 60, type: FAST }\n  template:\n    type: "bash-script"\n    command: "true"\n' "$i" \
      > "$dir/modules/bench/operations/op-$i.yaml"
  done
}

# Runs "$@" under GNU time, appending "wall peak_kb" to the file $1.
timed() {
  local into=$1
  shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" > "$work/out" 2>&1 || {
    cat "$work/out" >&2
    exit 1
  }
  tail -n 1 "$work/time" >> "$into"
}

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC'), work folder on $(df --output=fstype "$work" | tail -n 1)"
echo "throttle $throttle, ${stage:+stages of $stage, }median of $repeat runs each"
printf '%-10s %-22s %-22s %-7s %-12s %s\n' operations "xargs -P$throttle (peak)" "avdeploy run (peak)" ratio "avdeploy/s" "xargs/s"
for ops in $sizes; do
  dir="$work/deploy-$ops"
  generate "$ops" "$dir"
  # The reference: the same commands (bash running a script that runs `true`) under xargs.
  mkdir -p "$work/scripts-$ops"
  for ((i = 1; i <= ops; i++)); do printf 'true\n' > "$work/scripts-$ops/op-$i.sh"; done
  # One copy of the deployment per engine run, made up front: no run pays for the deletion of
  # the previous run's files.
  for ((r = 1; r <= repeat; r++)); do cp -r "$dir" "$dir-$r"; done
  : > "$work/xargs-$ops"
  : > "$work/engine-$ops"
  for ((r = 1; r <= repeat; r++)); do
    timed "$work/xargs-$ops" sh -c "ls '$work/scripts-$ops'/*.sh | xargs -P $throttle -n 1 bash"
    timed "$work/engine-$ops" "$bin" -C "$dir-$r" run all --simulate --throttle "$throttle"
    grep -q "completed in" "$work/out" || { cat "$work/out"; exit 1; }
    [[ -n ${KEEP:-} ]] || rm -rf "$dir-$r"
  done
  xargs_s=$(awk '{ print $1 }' "$work/xargs-$ops" | median)
  engine_s=$(awk '{ print $1 }' "$work/engine-$ops" | median)
  xargs_mb=$(awk '{ print $2 }' "$work/xargs-$ops" | sort -n | tail -n 1)
  engine_mb=$(awk '{ print $2 }' "$work/engine-$ops" | sort -n | tail -n 1)
  printf '%-10s %-22s %-22s %-7s %-12s %s\n' "$ops" \
    "$(printf '%.2f s (%.1f MB)' "$xargs_s" "$(echo "$xargs_mb / 1024" | bc -l)")" \
    "$(printf '%.2f s (%.1f MB)' "$engine_s" "$(echo "$engine_mb / 1024" | bc -l)")" \
    "$(printf '%.2fx' "$(echo "$engine_s / $xargs_s" | bc -l)")" \
    "$(printf '%.0f' "$(echo "$ops / $engine_s" | bc -l)")" \
    "$(printf '%.0f' "$(echo "$ops / $xargs_s" | bc -l)")"
done
echo "Goal: at most 1.5x."
