#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain:
# - Debian's Chromium, for the test that renders `avdeploy report` in a real headless browser;
# - the Azure CLI (azure-cli from PyPI, pinned) in a virtual environment under target/, for the
#   tests of `--simulate=azure-cli` that run the real az (tests/emulator_*.rs find it there).
# Does nothing for what is present. Fails loudly when something cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

AZURE_CLI_VERSION="2.91.0"
venv="target/azure-cli-venv"
marker="$venv/.installed-azure-cli-$AZURE_CLI_VERSION"

install_azure_cli() {
    if [ -f "$marker" ] && [ -x "$venv/bin/az" ]; then
        return 0
    fi
    local python
    python=$(command -v python3 || true)
    if [ -z "$python" ]; then
        echo "test-setup: python3 is missing: the azure-cli tests cannot run (install python3 with venv and pip)" >&2
        exit 1
    fi
    echo "test-setup: installing azure-cli==$AZURE_CLI_VERSION into $venv (pip, a few minutes)" >&2
    rm -rf "$venv"
    mkdir -p target
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "azure-cli==$AZURE_CLI_VERSION"
    "$venv/bin/az" version --output none
    touch "$marker"
}

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ "${#need[@]}" -gt 0 ]; then
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "test-setup: ${need[*]} missing and neither root nor sudo is available to install it" >&2
            exit 1
        fi
        as_root=(sudo)
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "test-setup: ${need[*]} missing and apt-get is not available; install it by hand" >&2
        exit 1
    fi
    echo "test-setup: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

install_azure_cli
