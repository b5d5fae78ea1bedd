//! The vocabulary below every layer: source files and positions in them, the findings
//! (diagnostics) that point at them, the paths of a deployment folder and the key of its
//! fingerprints. It imports nothing of the engine.

pub(crate) mod diagnostic;
pub(crate) mod fingerprint_key;
pub mod layout;
pub(crate) mod source;
pub(crate) mod span;
pub(crate) mod text;
