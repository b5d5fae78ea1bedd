#!/usr/bin/env bash
# Benchmark: `avdeploy validate` and `avdeploy plan all` on generated deployments of 1,000,
# 10,000 and 100,000 operations (scripts/gen-large.sh, 50 modules), the release binary of a
# baseline ref beside the current tree's, side by side: wall time, CPU time (user + sys) and
# peak memory (maximum resident set size), each the median of REPEAT runs. The current binary
# is measured twice: cold (`--no-cache`: every file read, parsed and decoded) and warm (the
# load cache of .avdeploy/cache/ filled by one run before, the files unchanged since); the
# baseline as plain runs on a copy of its own (so, warm when it has a load cache: a cache is
# only valid for the binary that wrote it).
#
# Usage: BASE=<ref> REPEAT=3 SIZES="1000 10000 100000" MODULES=50 scripts/bench-validate.sh
#   BASE defaults to `main`; BASE=none measures the current tree alone. The baseline is built
#   in a temporary git worktree with its own target folder (target/bench-base, kept between
#   runs so that only what changed is rebuilt). Needs GNU time (/usr/bin/time).
set -euo pipefail

base=${BASE:-main}
repeat=${REPEAT:-3}
sizes=${SIZES:-1000 10000 100000}
modules=${MODULES:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
cleanup() {
  if [[ -d $work/base ]]; then git -C "$root" worktree remove --force "$work/base"; fi
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
current="$root/target/release/avdeploy"
if [[ $base != none ]]; then
  git -C "$root" worktree add --quiet --detach "$work/base" "$base"
  base_sha=$(git -C "$work/base" rev-parse --short HEAD)
  base_target="$root/target/bench-base"
  # A first baseline build starts from the current tree's compiled dependencies.
  if [[ ! -d $base_target/release ]]; then
    mkdir -p "$base_target"
    cp -a "$root/target/release" "$base_target/release"
  fi
  CARGO_TARGET_DIR=$base_target cargo build --release --quiet --manifest-path "$work/base/Cargo.toml"
  cp "$base_target/release/avdeploy" "$work/avdeploy-base"
fi

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One measurement: "wall cpu MB" medians of $repeat runs of BIN -C DIR ARGS...
measure() {
  local bin=$1 dir=$2
  shift 2
  : > "$work/runs"
  for ((r = 0; r < repeat; r++)); do
    local status=0
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin" -C "$dir" "$@" > /dev/null 2> "$work/stderr" || status=$?
    if ((status != 0 && status != 2)); then
      echo "$bin $* exited $status:" >&2
      head -20 "$work/stderr" >&2
      exit 1
    fi
    tail -n 1 "$work/time" >> "$work/runs"
  done
  local wall cpu rss
  wall=$(awk '{ print $1 }' "$work/runs" | median)
  cpu=$(awk '{ print $2 + $3 }' "$work/runs" | median)
  rss=$(awk '{ print $4 }' "$work/runs" | median)
  printf '%6.2f s %6.2f s %5d MB' "$wall" "$cpu" "$((${rss%.*} / 1024))"
}

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC'), median of $repeat"
current_name="current $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo '+changes')"
if [[ $base != none ]]; then
  printf '%-9s %-15s %-30s %-30s %s\n' operations command "baseline $base_sha (wall, cpu, peak)" "$current_name cold" "$current_name warm"
else
  printf '%-9s %-15s %-30s %s\n' operations command "$current_name cold (wall, cpu, peak)" "warm"
fi
for size in $sizes; do
  dir="$work/deploy-$size"
  "$root/scripts/gen-large.sh" "$size" "$modules" "$dir"
  # Each binary has a copy of its own: a cache written by one is not the other's.
  if [[ $base != none ]]; then cp -a "$dir" "$dir-base"; fi
  # The cache does not store files changed in the last 3 seconds.
  sleep 4
  "$current" -C "$dir" validate > /dev/null 2>&1 || true
  if [[ $base != none ]]; then "$work/avdeploy-base" -C "$dir-base" validate > /dev/null 2>&1 || true; fi
  for command in "validate" "plan all"; do
    # shellcheck disable=SC2086 # the command's words
    cold=$(measure "$current" "$dir" $command --no-cache)
    # shellcheck disable=SC2086
    warm=$(measure "$current" "$dir" $command)
    if [[ $base != none ]]; then
      # shellcheck disable=SC2086
      before=$(measure "$work/avdeploy-base" "$dir-base" $command)
      printf '%-9s %-15s %-30s %-30s %s\n' "$size" "$command" "$before" "$cold" "$warm"
    else
      printf '%-9s %-15s %-30s %s\n' "$size" "$command" "$cold" "$warm"
    fi
  done
  rm -rf "$dir" "$dir-base"
done
echo "Target at 100,000 operations: under 1 s and under 150 MB (warm: the cache's case)."
