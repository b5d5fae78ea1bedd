//! `az vm run-command` operations: wrapping scripts and reading Azure's answers.

pub mod managed;
pub mod response;
pub mod script_file;
pub mod target;
