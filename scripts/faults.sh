#!/usr/bin/env bash
# Fault campaign: a simulated `run all` of the built-in deployment under injected Azure faults
# (20% of writes throttled with a 429, 30% of run-commands answered with the run-command
# Conflict, 10% of subnet writes AnotherOperationInProgress), one seed of the simulator's fault
# draw per run. Each run must complete, and every retry must be accounted for alike in three
# places: the simulator's call log (failed calls), state (attempts that did not complete) and the
# JSONL event log (`attempt_failed_will_retry` events). A retry runs the operation's whole script
# again, so an operation of three subnet writes at these rates fails an attempt more often than
# not: the deployment's errors.yaml gives the throttling and busy classes 30 attempts (the
# built-in 8 are meant for real Azure rates).
#
# Usage: scripts/faults.sh [SEEDS]
# Needs jq and sqlite3. EXAMPLE=quickstart deploys the small quickstart instead of the catalog;
# BIN=path/to/avdeploy uses that binary instead of building the release one.
set -euo pipefail

seeds=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${BIN:-}" ]]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  BIN="$root/target/release/avdeploy"
fi
# The built-in example deployed: avd, the complete AVD catalog (default), or quickstart.
example=${EXAMPLE:-avd}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export AVDEPLOY_SIM_TIME_SCALE=${AVDEPLOY_SIM_TIME_SCALE:-0.005}
export AVDEPLOY_SIM_FAULTS="create p=0.2 => throttle 5; update p=0.2 => throttle 5; vm run-command invoke p=0.3 => conflict; network vnet subnet create p=0.1 => busy"

total_faults=0 total_retries=0
started=$(date +%s)
for ((seed = 1; seed <= seeds; seed++)); do
  dir="$work/seed-$seed"
  "$BIN" init --example "$example" "$dir" > /dev/null
  cat > "$dir/errors.yaml" << 'YAML'
errors:
  - class: throttled
    match: ["SubscriptionRequestsThrottled"]
    policy: retry
    max_attempts: 30
    backoff: 10
    max_delay: 120
  - class: another_operation_in_progress
    match: ["AnotherOperationInProgress"]
    policy: retry
    max_attempts: 30
    backoff: 10
    max_delay: 90
YAML
  if ! AVDEPLOY_SIM_SEED=$seed "$BIN" -C "$dir" run all --simulate > "$dir/console.log" 2>&1; then
    echo "seed $seed: FAILED: the run did not complete; see $dir/console.log" >&2
    trap - EXIT
    exit 1
  fi
  # The faults hit writes (create, update, run-command invoke); a read that finds nothing (exit 3,
  # or `az rest --method get` of a missing resource) is how the catalog looks before it creates.
  faults=$(jq -s '[.[] | select(.exit != 0) | select(any(.argv[]; . == "create" or . == "update" or . == "invoke"))] | length' \
    "$dir/.avdeploy/sim/calls.jsonl")
  # Operations off by `when:` are recorded as skipped attempts.
  state=$(sqlite3 "$dir/.avdeploy/state.db" "SELECT COUNT(*) FROM attempts WHERE status NOT IN ('completed', 'skipped')")
  events=$(jq -s '[.[] | select(.event == "attempt_failed_will_retry")] | length' "$dir"/artifacts/logs/*.jsonl)
  if [[ "$faults" != "$state" || "$state" != "$events" ]]; then
    echo "seed $seed: FAILED: $faults failed calls, $state retried attempts in state, $events retry events" >&2
    trap - EXIT
    exit 1
  fi
  echo "seed $seed: ok ($faults faults, each retried once: state and event log agree)"
  total_faults=$((total_faults + faults))
  total_retries=$((total_retries + state))
  rm -rf "$dir"
done
elapsed=$(($(date +%s) - started))
echo "faults: $seeds seeds completed in ${elapsed}s: $total_faults injected faults, $total_retries retried attempts, call log = state = JSONL for every seed"
