//! Engine settings of a deployment: config.yaml's top-level `avdeploy:` section, which is never
//! exported as variables.

use crate::base::span::Spanned;
use crate::model::shell::ShellMode;

/// The `avdeploy:` section of config.yaml.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// `avdeploy.shell`: the deployment-wide shell mode, which a module's `shell:` overrides.
    pub shell: Option<Spanned<ShellMode>>,
}
