//! One file per subcommand.

pub mod completions;
pub mod context;
pub mod list;
pub mod plan;
pub mod validate;
pub mod vars;
