#!/usr/bin/env bash
# Benchmark: generates a deployment of N operations (default 10,000) and times `avdeploy validate`
# and `avdeploy plan all` on it, printing wall time and peak memory (maximum resident set size).
#
# Usage: scripts/bench-validate.sh [OPERATIONS] [MODULES]
# Needs /usr/bin/time (GNU time). Builds the release binary first.
set -euo pipefail

ops=${1:-10000}
modules=${2:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/avdeploy"

# The deployment: $modules modules, each a chain of dependencies on the previous one; within a
# module, operations alternate between sequential ones and parallel groups of four, each
# requiring the previous operation, with variables in commands, locks and checks. Every tenth
# operation is a run-command on its own VM.
generate() {
  local dir=$1
  mkdir -p "$dir/modules"
  {
    echo 'azure:'
    echo '  resource_group: "rg-avd-bench"'
    echo '  location: "westeurope"'
    echo '  tags: ["env=bench", "owner=avd"]'
    echo 'networking:'
    echo '  vnet_name: "vnet-bench"'
    echo 'variables:'
    echo '  VNET_LOCK: "vnet:{{NETWORKING_VNET_NAME}}"'
  } > "$dir/config.yaml"
  local per=$(( (ops + modules - 1) / modules ))
  local n=0
  for ((m = 0; m < modules && n < ops; m++)); do
    local mid
    mid=$(printf 'm%03d' "$m")
    local mdir="$dir/modules/$mid"
    mkdir -p "$mdir/operations"
    {
      echo 'module:'
      echo "  id: \"$mid\""
      echo "  name: \"Module $m\""
      if ((m > 0)); then printf '  dependencies: ["m%03d"]\n' $((m - 1)); fi
      echo '  operations:'
    } > "$mdir/module.yaml"
    local prev=""
    for ((i = 0; i < per && n < ops; i++, n++)); do
      local id="op-$mid-$i"
      echo "    - id: \"$id\"" >> "$mdir/module.yaml"
      if (( (i / 4) % 2 == 1 )); then
        echo "      parallel_group: $((i / 8 + 1))" >> "$mdir/module.yaml"
      fi
      local file="$mdir/operations/$(printf '%04d' "$i")-$id.yaml"
      {
        echo 'operation:'
        echo "  id: \"$id\""
        echo "  name: \"Operation $n\""
        echo "  duration: { expected: $((10 + i % 50)), timeout: 600, type: FAST }"
        if [[ -n $prev && $(( (i / 4) % 2 )) == 0 ]]; then echo "  requires: [\"$prev\"]"; fi
        echo '  locks: ["{{VNET_LOCK}}-'"$i"'"]'
        if (( i % 10 == 9 )) && (( (i / 4) % 2 == 0 )); then
          echo '  template:'
          echo '    type: "az-vm-run-command"'
          echo "    vm: \"vm-$mid-$i\""
          echo '    resource_group: "{{AZURE_RESOURCE_GROUP}}"'
          echo '  powershell:'
          echo '    content: |'
          echo '      Write-Output "[START] {{AZURE_LOCATION}}"'
          echo '      Write-Output "[SUCCESS] done"'
        else
          echo '  template:'
          echo '    type: "azure-cli-bash"'
          echo '    command: |'
          echo '      echo "[START] creating in {{AZURE_LOCATION}}"'
          echo '      az group show -g "$AZURE_RESOURCE_GROUP" -o none'
          echo '      echo "[SUCCESS] done"'
        fi
        echo '  validation:'
        echo '    enabled: true'
        echo '    checks:'
        echo '      - type: "resource_exists"'
        echo '        resource_type: "Microsoft.Network/virtualNetworks"'
        echo '        resource_name: "{{NETWORKING_VNET_NAME}}"'
      } > "$file"
      prev=$id
    done
  done
}

echo "Generating $ops operations in $modules modules under $work ..."
generate "$work/deploy"
files=$(find "$work/deploy" -name '*.yaml' | wc -l)
bytes=$(du -sb "$work/deploy" | cut -f1)
echo "  $files YAML files, $((bytes / 1024)) KiB"

measure() {
  local label=$1
  shift
  local out="$work/time.txt"
  local status=0
  /usr/bin/time -v "$@" > "$work/stdout.txt" 2> "$out" || status=$?
  local wall cpu rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out")
  cpu=$(awk -F': ' '/User time|System time/ { sum += $2 } END { printf "%.2f", sum }' "$out")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out")
  printf '  %-26s exit %d  wall %8s  cpu %5ss  peak memory %5d MB\n' "$label" "$status" "$wall" "$cpu" "$((rss / 1024))"
  if ((status != 0)); then
    grep -v '^\s' "$out" | head -20
    return 1
  fi
}

echo "Timing (release build, $(nproc) cores):"
measure "avdeploy validate" "$bin" -C "$work/deploy" validate
measure "avdeploy validate --json" "$bin" -C "$work/deploy" validate --json
measure "avdeploy plan all" "$bin" -C "$work/deploy" plan all
measure "avdeploy plan all --json" "$bin" -C "$work/deploy" plan all --json
measure "avdeploy plan m000" "$bin" -C "$work/deploy" plan m000
echo "Target: each under 1 s and under 100 MB."
