//! Reading a deployment folder: source text with spans, the YAML tree, and decoding it into the
//! model while recording every finding.

pub mod apps;
pub mod cache;
pub mod config;
pub mod decode;
pub mod deployment;
pub mod module;
pub mod module_cache;
pub mod node;
pub mod operation;
pub mod operation_files;
pub mod settings;
pub mod yaml;
