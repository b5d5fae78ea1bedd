//! One file per subcommand.

pub(crate) mod checked;
pub(crate) mod completions;
pub(crate) mod confirm;
pub(crate) mod destroy;
pub(crate) mod init;
pub(crate) mod list;
pub(crate) mod logs;
pub(crate) mod migrate;
pub(crate) mod outputs;
pub(crate) mod plan;
pub(crate) mod preflight;
pub(crate) mod report;
pub(crate) mod resume;
pub(crate) mod run;
pub(crate) mod script;
pub(crate) mod settings;
pub(crate) mod sim;
pub(crate) mod status;
pub(crate) mod validate;
pub(crate) mod vars;
