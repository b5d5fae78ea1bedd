//! Validation: every check pushes its findings and none stops at the first.

pub mod checks;
pub mod cycle;
pub mod instances;
pub mod render;
pub mod scalar_position;
pub mod shell_check;
pub mod teardown;
