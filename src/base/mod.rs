//! The vocabulary below every layer: source files and positions in them, and the findings
//! (diagnostics) that point at them. It imports nothing of the engine.

pub mod diagnostic;
pub mod source;
pub mod span;
