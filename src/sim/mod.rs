//! The Azure CLI simulator: a test double for `az`, used with `--simulate`. The engine never
//! imports this module; it only puts the shim first on the operations' PATH.
