//! `avdeploy migrate`: turns a folder written for the bash engine into one avdeploy validates and
//! runs as that engine ran it, by editing the files' text at spans (comments and layout kept),
//! and lists what it cannot fix.

pub(crate) mod aliases;
pub(crate) mod diff;
pub(crate) mod edits;
pub(crate) mod findings;
pub(crate) mod migration;
pub(crate) mod shell_refs;
