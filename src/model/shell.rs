//! How a bash operation's script runs: `strict` (stop at the first failing command or
//! pipeline) or `plain` (as the bash engine ran scripts, with no shell options set).

/// The shell mode of a module or of the whole deployment (`shell: strict|plain`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShellMode {
    /// `bash <file>` with no options: a failing command does not stop the script, only its
    /// last command's exit code counts, as under the bash engine.
    Plain,
    /// `set -eo pipefail`: the first failing command or pipeline ends the script.
    #[default]
    Strict,
}

impl ShellMode {
    /// The names accepted in YAML, with their modes.
    pub const CHOICES: [(&'static str, Self); 2] =
        [("strict", Self::Strict), ("plain", Self::Plain)];

    /// The first lines of a rendered bash script in this mode.
    pub const fn preamble(self) -> &'static str {
        match self {
            Self::Plain => {
                "#!/usr/bin/env bash\n# Written by avdeploy; secrets come from the environment only.\n# shell: plain (no errexit, no pipefail, as the bash engine ran scripts)\n"
            }
            Self::Strict => {
                "#!/usr/bin/env bash\n# Written by avdeploy; secrets come from the environment only.\nset -eo pipefail\n"
            }
        }
    }

    /// The YAML name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Strict => "strict",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ShellMode;

    #[test]
    fn only_strict_sets_errexit_and_pipefail() {
        assert!(ShellMode::Strict.preamble().contains("set -eo pipefail\n"));
        assert!(!ShellMode::Plain.preamble().contains("set -"));
        assert_eq!(ShellMode::default(), ShellMode::Strict);
    }
}
