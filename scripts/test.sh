#!/usr/bin/env bash
# The whole test suite, as the README runs it: installs what the tests need beyond the Rust
# toolchain (scripts/test-setup.sh), then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-setup.sh
cargo test --workspace "$@"
