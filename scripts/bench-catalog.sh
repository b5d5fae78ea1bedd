#!/usr/bin/env bash
# The AVD catalog (`avdeploy init`) on the simulator: what parallelism buys. Prints, side by
# side, for the catalog as written (`schedule: stages`, every module) and with every module on
# `schedule: dag`: the predicted makespan (`plan all --json`), the critical-path lower bound,
# the fully sequential total, and the makespan of a real simulated `run all`, whose wall time is
# converted back to Azure seconds through the time scale (AVDEPLOY_SIM_TIME_SCALE).
#
# Usage: SCALE=0.005 THROTTLE=5 scripts/bench-catalog.sh    (BIN=path skips the release build)
set -euo pipefail

scale=${SCALE:-0.005}
throttle=${THROTTLE:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z ${BIN:-} ]]; then
  cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
fi
bin=${BIN:-$repo/target/release/avdeploy}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" init "$work/stages" > /dev/null
cp -r "$work/stages" "$work/dag"
for file in "$work"/dag/modules/*/module.yaml; do
  grep -q '^  schedule:' "$file" && sed -i 's/^  schedule:.*/  schedule: dag/' "$file" \
    || sed -i 's/^  operations:/  schedule: dag\n  operations:/' "$file"
done

field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
minutes() { awk -v s="$1" 'BEGIN { printf "%dm%02ds", s / 60, s % 60 }'; }

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "AVD catalog, throttle $throttle, simulated run at time scale $scale (Azure seconds)"
printf '%-8s %-11s %-16s %-11s %-26s %s\n' schedule planned "critical path" sequential "simulated run (wall)" operations
for schedule in stages dag; do
  dir="$work/$schedule"
  "$bin" -C "$dir" plan all --json --throttle "$throttle" > "$work/plan.json"
  planned=$(field predicted_seconds < "$work/plan.json")
  critical=$(field critical_path_seconds < "$work/plan.json")
  sequential=$(field sequential_seconds < "$work/plan.json")
  status=0
  AVDEPLOY_SIM_TIME_SCALE=$scale "$bin" -C "$dir" run all --simulate --throttle "$throttle" > "$work/run.out" 2>&1 || status=$?
  if ((status != 0)); then
    echo "run all (schedule $schedule) exited $status:" >&2
    tail -n 20 "$work/run.out" >&2
    exit 1
  fi
  # The run's own duration and outcome, as state recorded them.
  "$bin" -C "$dir" status --json > "$work/status.json"
  read -r wall outcome < <(python3 -c '
import collections, json, sys
d = json.load(open(sys.argv[1]))
counts = collections.Counter(op["status"] for op in d["operations"])
print(d["run"]["duration_ms"] / 1000, ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
' "$work/status.json")
  azure=$(awk -v w="$wall" -v s="$scale" 'BEGIN { printf "%d", w / s }')
  printf '%-8s %-11s %-16s %-11s %-26s %s\n' "$schedule" "$(minutes "$planned")" "$(minutes "$critical")" \
    "$(minutes "$sequential")" "$(minutes "$azure") (${wall} s)" "$outcome"
done
echo "planned: plan all's predicted makespan; critical path: its longest chain, a lower bound at any throttle;"
echo "sequential: every operation one after another; simulated run: the run's duration in state / time scale"
echo "(the simulator's own durations, plus the engine's and the az shim's own time, also divided by the scale)."
