//! The process exit codes avdeploy returns, one named constant each.

/// Everything asked for was done.
pub(crate) const SUCCESS: i32 = 0;
/// An operation failed, timed out or was blocked.
pub(crate) const OPERATION_FAILED: i32 = 1;
/// The input was invalid: configuration, YAML or arguments.
pub(crate) const INVALID_INPUT: i32 = 2;
/// Another avdeploy process holds the deployment's lock.
pub(crate) const LOCKED: i32 = 3;
/// The run was interrupted by Ctrl-C or SIGTERM.
pub(crate) const INTERRUPTED: i32 = 130;
