//! The vocabulary below every layer: source files and positions in them, the findings
//! (diagnostics) that point at them, and the paths of a deployment folder. It imports nothing of
//! the engine.

pub mod diagnostic;
pub mod layout;
pub mod source;
pub mod span;
pub mod text;
