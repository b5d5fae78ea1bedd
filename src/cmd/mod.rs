//! One file per subcommand.

pub mod checked;
pub mod completions;
pub mod confirm;
pub mod destroy;
pub mod init;
pub mod list;
pub mod logs;
pub mod migrate;
pub mod outputs;
pub mod plan;
pub mod preflight;
pub mod report;
pub mod resume;
pub mod run;
pub mod script;
pub mod settings;
pub mod sim;
pub mod status;
pub mod validate;
pub mod vars;
