//! `avdeploy migrate`: turns a folder written for the bash engine into one avdeploy validates and
//! runs as that engine ran it, by editing the files' text at spans (comments and layout kept),
//! and lists what it cannot fix.

pub mod aliases;
pub mod diff;
pub mod edits;
pub mod findings;
pub mod migration;
pub mod shell_refs;
