//! The execution engine: scheduling, processes, retries and the events they emit.

pub mod event;
pub mod status;
