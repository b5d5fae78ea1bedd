#!/usr/bin/env bash
# Chaos campaign: a simulated `run all` of the AVD catalog is interrupted at random moments
# (kill -9, SIGTERM, or two SIGINTs), then resumed, interrupted again, and resumed until done,
# for each seed. After each seed it checks:
#   - every operation completed, and exactly once (one completed attempt in state);
#   - per operation, from the simulator's call log (each call names the operation and run that
#     made it): after the run in which the operation completed, no run called for it again, and
#     in that run it made exactly the write calls it makes in an uninterrupted reference run
#     (each once) when nothing interrupted or retried it before; otherwise that run made no
#     write call outside the reference and its runs together made all of them; every call
#     names its operation;
#   - the call log holds every write call of the reference run (nothing lost), and the simulated
#     subscription ends with the same resources;
#   - PRAGMA integrity_check of state.db is ok;
#   - every line of every JSONL event log parses, and no log ends in a torn line;
#   - no process of the run is left (none has its working directory in the deployment).
#
# Usage: scripts/chaos.sh [SEEDS] [MAX_INTERRUPTIONS_PER_SEED]
# Needs jq and sqlite3. EXAMPLE=quickstart deploys the small quickstart instead of the catalog;
# BIN=path/to/avdeploy uses that binary instead of building the release one.
set -euo pipefail

seeds=${1:-20}
max_chaos=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${BIN:-}" ]]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  BIN="$root/target/release/avdeploy"
fi
# The built-in example deployed: avd, the AVD catalog (default), or quickstart.
example=${EXAMPLE:-avd}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export AVDEPLOY_SIM_TIME_SCALE=${AVDEPLOY_SIM_TIME_SCALE:-0.002}
export AVDEPLOY_KILL_GRACE_SECONDS=${AVDEPLOY_KILL_GRACE_SECONDS:-0.5}

# Successful calls that change the simulated subscription, one per line, sorted; script files
# (`@path`) differ between folders and are written as `@FILE`, times (a registration token's
# expiry) as `TIME`, ids as `GUID` (parallel creations number the groups in any order).
writes() {
  jq -r 'select(.exit == 0) | .argv | select(.[0:4] | map(select(test("^(create|update|delete|set|add|invoke|assign)$"))) | length > 0) | map(sub("^@.*"; "@FILE") | gsub("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"; "TIME") | gsub("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"; "GUID")) | join(" ")' \
    "$1/.avdeploy/sim/calls.jsonl" | sort
}

# Successful write calls of the log in folder $1 as `operation<TAB>run<TAB>call` lines, sorted.
op_writes() {
  jq -r 'select(.exit == 0) | select(.argv | .[0:4] | map(select(test("^(create|update|delete|set|add|invoke|assign)$"))) | length > 0) | [.operation // "", .run_id // "", (.argv | map(sub("^@.*"; "@FILE") | gsub("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"; "TIME") | gsub("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"; "GUID")) | join(" "))] | @tsv' \
    "$1/.avdeploy/sim/calls.jsonl" | sort
}

# Per operation, from the call log checked against state: the operation made no call in a run
# after the one it completed in. In that run it made exactly its reference write calls when that
# run was its only one and gave it one attempt. When it was interrupted or retried before (other
# attempts, or calls in earlier runs), its scripts look before they create, so what an earlier
# attempt created is found and not made again: then its completing run made no write call outside
# the reference, and its runs together made every reference call. Prints what is wrong, nothing
# when right.
check_per_operation() {
  local dir=$1 db="$1/.avdeploy/state.db"
  local unnamed
  unnamed=$(jq -s '[.[] | select((.operation // "") == "" or (.run_id // "") == "")] | length' "$dir/.avdeploy/sim/calls.jsonl")
  ((unnamed == 0)) || echo "$unnamed calls name no operation or run"
  op_writes "$dir" > "$dir/op.writes"
  jq -r '[.operation // "", .run_id // ""] | @tsv' "$dir/.avdeploy/sim/calls.jsonl" | sort -u > "$dir/op.runs"
  sqlite3 -separator $'\t' "$db" "SELECT r.seq, r.id FROM runs r" > "$dir/run.seqs"
  local op run attempts all_attempts seq
  while IFS=$'\t' read -r op run attempts all_attempts seq; do
    # Runs after the completing one (by their order in state) that called for this operation.
    local later other_runs
    later=$(awk -F'\t' -v op="$op" -v seq="$seq" 'NR == FNR { s[$2] = $1; next } $1 == op && ($2 in s) && s[$2] > seq { print $2 }' \
      "$dir/run.seqs" "$dir/op.runs")
    [[ -z "$later" ]] || echo "$op called again after completing in run $run: runs $later"
    other_runs=$(awk -F'\t' -v op="$op" -v run="$run" '$1 == op && $2 != run' "$dir/op.runs")
    awk -F'\t' -v op="$op" '$1 == op { print $3 }' "$work/ref.op.writes" > "$dir/want"
    awk -F'\t' -v op="$op" -v run="$run" '$1 == op && $2 == run { print $3 }' "$dir/op.writes" > "$dir/got"
    if ((attempts == 1 && all_attempts == 1)) && [[ -z "$other_runs" ]]; then
      cmp -s "$dir/want" "$dir/got" || echo "$op: its completing run made other write calls than the reference: $(diff "$dir/want" "$dir/got" | grep '^[<>]' | head -3 | tr '\n' ' ')"
    else
      local extra lost
      extra=$(comm -13 <(sort -u "$dir/want") <(sort -u "$dir/got"))
      [[ -z "$extra" ]] || echo "$op: its completing run made write calls outside the reference: $extra"
      lost=$(comm -23 <(sort -u "$dir/want") <(awk -F'\t' -v op="$op" '$1 == op { print $3 }' "$dir/op.writes" | sort -u))
      [[ -z "$lost" ]] || echo "$op: its runs never made $lost"
    fi
  done < <(sqlite3 -separator $'\t' "$db" "SELECT a.operation, a.run_id, (SELECT COUNT(*) FROM attempts b WHERE b.operation = a.operation AND b.run_id = a.run_id), (SELECT COUNT(*) FROM attempts b WHERE b.operation = a.operation), r.seq FROM attempts a JOIN runs r ON r.id = a.run_id WHERE a.status = 'completed'")
}

# The ids of the simulated subscription's resources, sorted, object ids as `GUID` (role
# assignments are numbered in the order they were made).
resources() {
  "$BIN" -C "$1" sim show --json |
    jq -c '[.resources[].id | gsub("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"; "GUID")] | sort'
}

fail() {
  echo "seed $seed: FAILED: $*" >&2
  echo "  folder kept: $1" >&2
  trap - EXIT
  exit 1
}

# The reference: one uninterrupted run.
"$BIN" init --example "$example" "$work/ref" > /dev/null
ref_started=$(date +%s%N)
"$BIN" -C "$work/ref" run all --simulate > "$work/ref.log" 2>&1
ref_ms=$(( ($(date +%s%N) - ref_started) / 1000000 ))
writes "$work/ref" > "$work/ref.writes"
op_writes "$work/ref" > "$work/ref.op.writes"
resources "$work/ref" > "$work/ref.resources"
ops=$("$BIN" -C "$work/ref" status --json | jq '.operations | length')

total_kills=0 total_terms=0 total_ints=0 total_rounds=0 total_surplus=0
started=$(date +%s)
for ((seed = 1; seed <= seeds; seed++)); do
  RANDOM=$seed
  dir="$work/seed-$seed"
  "$BIN" init --example "$example" "$dir" > /dev/null
  chaos=0 round=0 done=0
  args=(run all --simulate)
  while ((done == 0)); do
    round=$((round + 1))
    if ((round > 30)); then fail "$dir" "not done after 30 rounds"; fi
    "$BIN" -C "$dir" "${args[@]}" >> "$dir/console.log" 2>&1 &
    pid=$!
    if ((chaos < max_chaos)); then
      # A random moment within the length of the uninterrupted run.
      moment=$(( (RANDOM * 32768 + RANDOM) % ref_ms ))
      sleep "$(printf '%d.%03d' $((moment / 1000)) $((moment % 1000)))"
      if kill -0 "$pid" 2> /dev/null; then
        chaos=$((chaos + 1))
        case $((RANDOM % 3)) in
          0) kill -KILL "$pid" 2> /dev/null || true; total_kills=$((total_kills + 1)) ;;
          1) kill -TERM "$pid" 2> /dev/null || true; total_terms=$((total_terms + 1)) ;;
          2)
            kill -INT "$pid" 2> /dev/null || true
            sleep "0.$((RANDOM % 5))"
            kill -INT "$pid" 2> /dev/null || true
            total_ints=$((total_ints + 1))
            ;;
        esac
      fi
    fi
    code=0
    wait "$pid" || code=$?
    if ((code == 1)); then fail "$dir" "an operation failed (exit 1); see $dir/console.log"; fi
    # What next: resume the unfinished run; or, when the engine died before it recorded a run,
    # start it again; or stop, every operation being completed (or off by `when:`).
    doc=$("$BIN" -C "$dir" status --json)
    if [[ $(jq '.resume != null' <<< "$doc") == true ]]; then
      args=(resume --yes --simulate)
    elif [[ $(jq --argjson ops "$ops" '[.operations[] | select(.status == "completed" or .error == "when: false")] | length == $ops' <<< "$doc") == true ]]; then
      done=1
    else
      args=(run all --simulate)
    fi
  done
  total_rounds=$((total_rounds + round))

  doc=$("$BIN" -C "$dir" status --json)
  [[ $(jq '.operations | length' <<< "$doc") == "$ops" ]] || fail "$dir" "not every operation is in state"
  [[ $(jq '.resume' <<< "$doc") == "null" ]] || fail "$dir" "status still offers a resume"
  twice=$(sqlite3 "$dir/.avdeploy/state.db" "SELECT operation FROM attempts GROUP BY operation HAVING SUM(status = 'completed') <> 1 AND SUM(status = 'skipped' AND error = 'when: false') = 0")
  [[ -z "$twice" ]] || fail "$dir" "operations not completed exactly once: $twice"
  running=$(sqlite3 "$dir/.avdeploy/state.db" "SELECT COUNT(*) FROM attempts WHERE status = 'running'")
  [[ "$running" == 0 ]] || fail "$dir" "$running attempts still recorded running"
  [[ $(sqlite3 "$dir/.avdeploy/state.db" "PRAGMA integrity_check") == ok ]] || fail "$dir" "integrity_check"
  for log in "$dir"/artifacts/logs/*.jsonl; do
    jq -R -e 'fromjson' "$log" > /dev/null || fail "$dir" "a line of $log does not parse"
    [[ -z "$(tail -c1 "$log")" ]] || fail "$dir" "$log ends in a torn line"
  done
  wrong=$(check_per_operation "$dir")
  [[ -z "$wrong" ]] || fail "$dir" "per operation, from the call log: $wrong"
  writes "$dir" > "$dir/writes"
  missing=$(comm -23 "$work/ref.writes" "$dir/writes")
  [[ -z "$missing" ]] || fail "$dir" "write calls of the reference never made: $missing"
  surplus=$(($(wc -l < "$dir/writes") - $(wc -l < "$work/ref.writes")))
  total_surplus=$((total_surplus + surplus))
  [[ $(resources "$dir") == "$(cat "$work/ref.resources")" ]] || fail "$dir" "the subscription differs from the reference"
  sleep 0.2
  for proc in /proc/[0-9]*; do
    if [[ "$(readlink "$proc/cwd" 2> /dev/null)" == "$dir"* ]]; then
      fail "$dir" "process ${proc#/proc/} of the run is still alive"
    fi
  done
  echo "seed $seed: ok ($chaos interruptions, $round rounds, $surplus repeated write calls of interrupted attempts)"
  rm -rf "$dir"
done
elapsed=$(($(date +%s) - started))
echo "chaos: $seeds seeds ok in ${elapsed}s: $total_kills kill -9, $total_terms SIGTERM, $total_ints double SIGINT, $total_rounds runs and resumes, $total_surplus repeated write calls (interrupted attempts run again), $ops operations each completed exactly once after its last interruption (per operation, from the call log)"
