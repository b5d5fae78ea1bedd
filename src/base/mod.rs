//! The vocabulary below every layer: source files and positions in them, the findings
//! (diagnostics) that point at them, the paths of a deployment folder and the key of its
//! fingerprints. It imports nothing of the engine.

pub mod diagnostic;
pub mod fingerprint_key;
pub mod layout;
pub mod source;
pub mod span;
pub mod text;
