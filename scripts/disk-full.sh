#!/usr/bin/env bash
# Disk-full campaign: the built-in deployment lives on a tiny tmpfs (its `.avdeploy/` and
# `artifacts/`), and at a random moment of a simulated `run all` a file fills that disk. The
# simulated subscription (`.avdeploy/sim`) is linked to a folder outside the tmpfs: Azure does not
# run out of space when the engine's disk does. After each seed the disk is freed and the
# deployment resumed until done; then it checks:
#   - every operation completed exactly once (one completed attempt in state; those off by
#     `when:` are skipped); no attempt is
#     `interrupted` (state recorded the end of every one, through the full disk); nothing that
#     completed was run again: the simulator's call log holds every write call of an
#     uninterrupted reference run, and more only when an attempt failed (an operation whose own
#     output file could not be written on the full disk fails, and runs again on resume);
#   - PRAGMA integrity_check of state.db is ok;
#   - every line of every JSONL event log parses, none ends in a torn line.
#
# Usage: scripts/disk-full.sh [SEEDS] [TMPFS_SIZE]
# Needs the right to mount a tmpfs (root), jq and sqlite3. BIN=path/to/avdeploy uses that binary
# instead of building the release one; EXAMPLE=quickstart deploys the small quickstart instead
# of the AVD catalog.
set -euo pipefail

seeds=${1:-10}
size=${2:-12m}
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${BIN:-}" ]]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  BIN="$root/target/release/avdeploy"
fi
# The built-in example deployed: avd, the complete AVD catalog (default), or quickstart.
example=${EXAMPLE:-avd}
work=$(mktemp -d)
disk="$work/disk"
mkdir -p "$disk"
if ! mount -t tmpfs -o "size=$size" tmpfs "$disk" 2> /dev/null; then
  echo "disk-full: cannot mount a tmpfs on this machine (needs root); nothing measured" >&2
  rm -rf "$work"
  exit 2
fi
trap 'umount -l "$disk"; rm -rf "$work"' EXIT
export AVDEPLOY_SIM_TIME_SCALE=${AVDEPLOY_SIM_TIME_SCALE:-0.005}

fail() {
  echo "seed $seed: FAILED: $*" >&2
  echo "--- console of seed $seed:" >&2
  grep -v '^\[[a-z-]*\] ' "$work/console-$seed.log" >&2 || true
  exit 1
}

writes() {
  jq -r 'select(.exit == 0) | .argv | select(.[0:4] | map(select(test("^(create|update|delete|set|add|invoke|assign)$"))) | length > 0) | map(sub("^@.*"; "@FILE") | gsub("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"; "TIME") | gsub("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"; "GUID")) | join(" ")' \
    "$1" | sort
}

"$BIN" init --example "$example" "$work/ref" > /dev/null
"$BIN" -C "$work/ref" run all --simulate > "$work/ref.log" 2>&1
writes "$work/ref/.avdeploy/sim/calls.jsonl" > "$work/ref.writes"
planned=$("$BIN" -C "$work/ref" status --json | jq '.operations | length')

stopped=0 total_failed=0 started=$(date +%s)
for ((seed = 1; seed <= seeds; seed++)); do
  RANDOM=$seed
  dir="$disk/deploy"
  sim="$work/sim-$seed"
  "$BIN" init --example "$example" "$dir" > /dev/null
  mkdir -p "$dir/.avdeploy" "$sim"
  ln -s "$sim" "$dir/.avdeploy/sim"
  (
    sleep "$((RANDOM % 4)).$((RANDOM % 10))"
    head -c 1G /dev/zero > "$disk/filler" 2> /dev/null || true
  ) &
  filler=$!
  code=0
  "$BIN" -C "$dir" run all --simulate > "$work/console-$seed.log" 2>&1 || code=$?
  wait "$filler" || true
  if ((code != 0)); then stopped=$((stopped + 1)); fi
  rm -f "$disk/filler"
  rounds=0
  # Done: every operation of the reference is completed (or off by `when:`), nothing to resume.
  until "$BIN" -C "$dir" status --json | jq -e --argjson n "$planned" \
    '.resume == null and (.operations | length) == $n and all(.operations[]; .status == "completed" or .status == "skipped")' > /dev/null; do
    rounds=$((rounds + 1))
    if ((rounds > 5)); then
      fail "not done after 5 resumes"
    fi
    # A disk full before the first run was recorded leaves nothing to resume: run it again.
    if "$BIN" -C "$dir" status --json | jq -e '.run == null' > /dev/null; then
      "$BIN" -C "$dir" run all --simulate >> "$work/console-$seed.log" 2>&1 || true
    else
      "$BIN" -C "$dir" resume --yes --simulate >> "$work/console-$seed.log" 2>&1 || true
    fi
  done
  db="$dir/.avdeploy/state.db"
  twice=$(sqlite3 "$db" "SELECT operation FROM attempts GROUP BY operation HAVING SUM(status = 'completed') <> 1 AND SUM(status = 'skipped') = 0")
  [[ -z "$twice" ]] || fail "not completed exactly once: $twice"
  [[ $(sqlite3 "$db" "PRAGMA integrity_check") == ok ]] || fail "integrity_check"
  for log in "$dir"/artifacts/logs/*.jsonl; do
    jq -R -e 'fromjson' "$log" > /dev/null || fail "$log does not parse"
    [[ -z "$(tail -c1 "$log")" ]] || fail "$log ends in a torn line"
  done
  lost=$(sqlite3 "$db" "SELECT COALESCE(SUM(events_lost), 0) FROM runs")
  interrupted=$(sqlite3 "$db" "SELECT COUNT(*) FROM attempts WHERE status IN ('interrupted', 'running')")
  ((interrupted == 0)) || fail "$interrupted attempts recorded interrupted or running: their end was lost"
  failed=$(sqlite3 "$db" "SELECT COUNT(*) FROM attempts WHERE status = 'failed'")
  writes "$sim/calls.jsonl" > "$work/writes-$seed"
  missing=$(comm -23 "$work/ref.writes" "$work/writes-$seed")
  [[ -z "$missing" ]] || fail "write calls of the reference never made: $missing"
  surplus=$(($(wc -l < "$work/writes-$seed") - $(wc -l < "$work/ref.writes")))
  if ((surplus > 0 && failed == 0)); then fail "$surplus write calls repeated though no attempt failed"; fi
  echo "seed $seed: ok (first run exit $code, $rounds resume(s), $failed failed attempt(s) run again, $surplus repeated write call(s), $lost event(s) missing from the log and recorded so)"
  total_failed=$((total_failed + failed))
  rm -rf "$dir" "$sim"
done
elapsed=$(($(date +%s) - started))
echo "disk-full: $seeds seeds ok in ${elapsed}s on a $size tmpfs: $stopped first runs stopped by the full disk; every operation completed exactly once, no end lost, $total_failed attempts failed by the full disk and run again, integrity ok, no torn line"
