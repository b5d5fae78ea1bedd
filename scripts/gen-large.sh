#!/usr/bin/env bash
# Generates a deployment of N bash operations spread over MODULES modules in DIR, for
# benchmarks. Each module depends on the previous one; within a module, operations alternate
# between runs of four sequential ones (each requiring the one before) and parallel groups of
# four. Every script is a few `az` lines reading config variables and the previous operation's
# output, and publishes its own with `[OUTPUT]`; every operation holds a lock and has a check.
#
# Usage: scripts/gen-large.sh N MODULES DIR    (DIR must not exist or be empty)
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 N MODULES DIR" >&2
  exit 2
fi
ops=$1
modules=$2
dir=$3
if ! [[ $ops =~ ^[1-9][0-9]*$ && $modules =~ ^[1-9][0-9]*$ ]]; then
  echo "$0: N and MODULES must be positive whole numbers" >&2
  exit 2
fi
if [[ -e $dir && -n $(ls -A "$dir") ]]; then
  echo "$0: $dir is not empty" >&2
  exit 2
fi
mkdir -p "$dir/modules"
cat > "$dir/config.yaml" <<'YAML'
azure:
  resource_group: "rg-avd-bench"
  location: "westeurope"
  tags: ["env=bench", "owner=avd"]
networking:
  vnet_name: "vnet-bench"
  address_space: "10.0.0.0/16"
variables:
  VNET_LOCK: "vnet:{{NETWORKING_VNET_NAME}}"
YAML

per=$(((ops + modules - 1) / modules))
# One awk run writes every file: a shell loop would take minutes at 100,000 operations.
awk -v ops="$ops" -v modules="$modules" -v per="$per" -v dir="$dir" '
function out(file, text) { printf "%s\n", text > file }
BEGIN {
  n = 0
  for (m = 0; m < modules && n < ops; m++) {
    mid = sprintf("m%03d", m)
    mdir = dir "/modules/" mid
    system("mkdir -p \"" mdir "/operations\"")
    mfile = mdir "/module.yaml"
    out(mfile, "module:")
    out(mfile, "  id: \"" mid "\"")
    out(mfile, "  name: \"Module " m "\"")
    if (m > 0) out(mfile, sprintf("  dependencies: [\"m%03d\"]", m - 1))
    out(mfile, "  operations:")
    prev = ""
    for (i = 0; i < per && n < ops; i++) {
      id = "op-" mid "-" i
      var = toupper("OUT_" mid "_" i)
      gsub("-", "_", var)
      out(mfile, "    - id: \"" id "\"")
      parallel = int(i / 4) % 2 == 1
      if (parallel) out(mfile, "      parallel_group: " (int(i / 8) + 1))
      f = sprintf("%s/operations/%04d-%s.yaml", mdir, i, id)
      out(f, "operation:")
      out(f, "  id: \"" id "\"")
      out(f, "  name: \"Operation " n "\"")
      out(f, "  duration: { expected: " (10 + i % 50) ", timeout: 600, type: FAST }")
      if (prev != "" && !parallel) out(f, "  requires: [\"" prev "\"]")
      out(f, "  locks: [\"{{VNET_LOCK}}-" i "\"]")
      out(f, "  template:")
      out(f, "    type: \"azure-cli-bash\"")
      out(f, "    command: |")
      out(f, "      echo \"[START] " id " in {{AZURE_LOCATION}}\"")
      out(f, "      az group show --name \"$AZURE_RESOURCE_GROUP\" --output none")
      out(f, "      NAME=\"nic-" mid "-" i "\"")
      out(f, "      az network vnet show --resource-group \"$AZURE_RESOURCE_GROUP\" --name \"$NETWORKING_VNET_NAME\" --output none")
      if (prev_var != "" && !parallel) out(f, "      echo \"after $" prev_var "\"")
      out(f, "      echo \"[OUTPUT] " var "=$NAME\"")
      out(f, "      echo \"[SUCCESS] done\"")
      out(f, "  validation:")
      out(f, "    enabled: true")
      out(f, "    checks:")
      out(f, "      - type: \"resource_exists\"")
      out(f, "        resource_type: \"Microsoft.Network/virtualNetworks\"")
      out(f, "        resource_name: \"{{NETWORKING_VNET_NAME}}\"")
      close(f)
      prev = id
      prev_var = var
      n++
    }
    close(mfile)
    prev_var = ""
  }
}'
