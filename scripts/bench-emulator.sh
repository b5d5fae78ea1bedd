#!/usr/bin/env bash
# Wall time of the AVD catalog under both simulator backends, at the same time scale: the az shim
# (`--simulate`) and the real az against the local Azure (`--simulate=azure-cli`, which skips the
# operations that need the desktopvirtualization extension and says so). Each backend deploys a
# fresh `avdeploy init` copy, `run all` by default, or module by module when MODULES is set.
#   scripts/bench-emulator.sh                    # release build, the whole catalog, scale 0.001
#   MODULES="00-resource-group 03-entra-groups" SCALE=0.01 BIN=target/debug/avdeploy scripts/bench-emulator.sh
# The real az is AVDEPLOY_AZ, else target/azure-cli-venv/bin/az (scripts/test-setup.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

MODULES=${MODULES:-all}
SCALE=${SCALE:-0.001}
THROTTLE=${THROTTLE:-8}
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=target/release/avdeploy
fi
BIN=$(realpath "$BIN")
AZ=${AVDEPLOY_AZ:-$PWD/target/azure-cli-venv/bin/az}
if [ ! -x "$AZ" ]; then
    echo "bench-emulator: no az at $AZ: run scripts/test-setup.sh or set AVDEPLOY_AZ" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# deploy NAME BACKEND_FLAG: prints "seconds completed skipped failed" for the module list.
deploy() {
    local dir="$work/$1" start end
    "$BIN" init "$dir" >/dev/null
    start=$(date +%s.%N)
    for module in $MODULES; do
        AVDEPLOY_AZ="$AZ" AVDEPLOY_SIM_TIME_SCALE="$SCALE" \
            "$BIN" -C "$dir" run "$module" "$2" --throttle "$THROTTLE" >"$dir/$module.out" 2>&1 || true
    done
    end=$(date +%s.%N)
    # Each run ends with "[v] Run <id> completed in 2s: 8 completed, 1 skipped".
    local summary completed skipped failed
    summary=$(grep -h '^\[.\] Run [0-9-]* .*: ' "$dir"/*.out | sed 's/^.*: //')
    count() { grep -o "[0-9][0-9]* $1" <<<"$summary" | awk '{s+=$1} END {print s+0}'; }
    completed=$(count completed)
    skipped=$(count skipped)
    failed=$(count failed)
    printf '%.1f %s %s %s\n' "$(echo "$end - $start" | bc)" "$completed" "$skipped" "$failed"
}

echo "modules: $MODULES"
echo "time scale $SCALE, throttle $THROTTLE, load $(cut -d' ' -f1 /proc/loadavg)"
read -r shim_s shim_c shim_k shim_f <<<"$(deploy shim --simulate)"
echo "shim (--simulate):               ${shim_s} s, $shim_c completed, $shim_k skipped, $shim_f failed"
read -r emu_s emu_c emu_k emu_f <<<"$(deploy azure-cli --simulate=azure-cli)"
echo "real az (--simulate=azure-cli):  ${emu_s} s, $emu_c completed, $emu_k skipped, $emu_f failed"
echo "ratio: $(echo "scale=1; $emu_s / $shim_s" | bc)x"
