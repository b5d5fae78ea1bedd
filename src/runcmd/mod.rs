//! `az vm run-command` operations: wrapping scripts and reading Azure's answers.

pub mod sentinel;
pub mod target;
