//! The real Azure CLI against a local cloud, as `--simulate=azure-cli` runs it: which `az`,
//! a private configuration folder for the run, the cloud registration and the login.
//!
//! The engine knows nothing of what serves the cloud: it is given the cloud's address, its
//! certificate authority and the tenant to log in to.

pub mod account;
mod config_dir;
pub mod invoke;
mod login;
pub mod preflight;

use std::path::{Path, PathBuf};

pub use config_dir::ConfigDir;
pub use login::{LocalCloud, Login};

/// The variable naming the `az` to run (else the first `az` on `PATH`).
pub const AZ_VAR: &str = "AVDEPLOY_AZ";

/// Command groups that come from CLI extensions: a run against a local cloud has none
/// installed (extensions are downloaded from outside the registries this mode may use).
pub const EXTENSION_GROUPS: [&str; 1] = ["desktopvirtualization"];

/// What went wrong while preparing the Azure CLI.
#[derive(Debug, thiserror::Error)]
pub enum AzCliError {
    /// No `az` to run.
    #[error(
        "no Azure CLI found: --simulate=azure-cli runs the real `az` (install it with \
         `pip install azure-cli`, or set {AZ_VAR} to its path){detail}"
    )]
    NotFound {
        /// Where it was looked for, when `AVDEPLOY_AZ` named something unusable.
        detail: String,
    },
    /// A file or folder could not be made.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// An `az` step of the set-up failed.
    #[error("`az {step}` failed while preparing the local cloud (exit {code}):\n{output}")]
    Step {
        /// The az arguments, without secrets.
        step: String,
        /// Its exit code (-1: killed by a signal).
        code: i32,
        /// What it printed.
        output: String,
    },
}

impl AzCliError {
    /// Whether the user can fix it by the input given (exit 2): a missing CLI.
    pub fn invalid_input(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// The `az` to run: `AVDEPLOY_AZ` when set (it must be an executable file), else the first
/// executable `az` on `path` (the `PATH` value).
pub fn find_az(
    var: &dyn Fn(&str) -> Option<String>,
    path: Option<&str>,
) -> Result<PathBuf, AzCliError> {
    if let Some(named) = var(AZ_VAR).filter(|value| !value.trim().is_empty()) {
        let named = PathBuf::from(named.trim());
        return if is_executable(&named) {
            Ok(named)
        } else {
            Err(AzCliError::NotFound {
                detail: format!(": {AZ_VAR}={} is not an executable file", named.display()),
            })
        };
    }
    path.into_iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("az"))
        .find(|candidate| is_executable(candidate))
        .ok_or(AzCliError::NotFound {
            detail: String::new(),
        })
}

/// Public endpoints that a script may address by name (`az rest --url https://...`): a local
/// cloud answers on its own address only.
pub const PUBLIC_HOSTS: [&str; 2] = ["graph.microsoft.com", "management.azure.com"];

/// Why a bash script cannot run against the local cloud: it calls a command group that comes
/// from a CLI extension, or addresses a public Azure endpoint by name.
pub fn uncovered(script: &str) -> Option<String> {
    if let Some(group) = EXTENSION_GROUPS
        .iter()
        .find(|group| calls_group(script, group))
    {
        return Some(format!(
            "needs the az extension `{group}`, which is not installed"
        ));
    }
    PUBLIC_HOSTS
        .iter()
        .find(|host| script.contains(&format!("https://{host}/")))
        .map(|host| format!("calls https://{host}/ by name, which a local cloud does not answer"))
}

/// Whether `script` has a word `az` followed by the word `group`.
fn calls_group(script: &str, group: &str) -> bool {
    let words: Vec<&str> = script
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ';' | '|' | '&' | '`' | '"'))
        .filter(|word| !word.is_empty())
        .collect();
    words
        .windows(2)
        .any(|pair| pair[0] == "az" && pair[1] == group)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_az_must_be_an_executable_file() {
        let dir = tempfile::tempdir().unwrap();
        let az = dir.path().join("my-az");
        std::fs::write(&az, "#!/bin/sh\n").unwrap();
        let named = az.display().to_string();
        let var = |name: &str| (name == AZ_VAR).then(|| named.clone());
        let error = find_az(&var, None).unwrap_err().to_string();
        assert!(error.contains("is not an executable file"), "{error}");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_az(&var, None).unwrap(), az);
    }

    #[test]
    fn without_a_name_the_first_az_on_the_path_is_taken_and_none_is_invalid_input() {
        let (empty, full) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let az = full.path().join("az");
        std::fs::write(&az, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("{}:{}", empty.path().display(), full.path().display());
        assert_eq!(find_az(&|_| None, Some(&path)).unwrap(), az);
        let error = find_az(&|_| None, Some(&empty.path().display().to_string())).unwrap_err();
        assert!(error.invalid_input() && error.to_string().contains("no Azure CLI found"));
    }

    #[test]
    fn a_script_calling_an_extension_group_is_not_covered() {
        let reason = uncovered("x=$(az desktopvirtualization hostpool show -g rg)").unwrap();
        assert!(reason.contains("`desktopvirtualization`"), "{reason}");
        assert_eq!(uncovered("az group show -n desktopvirtualization"), None);
        assert_eq!(uncovered("echo az-desktopvirtualization"), None);
        let rest = "az rest --method get --url \"https://graph.microsoft.com/v1.0/me\"";
        assert!(
            uncovered(rest)
                .unwrap()
                .contains("https://graph.microsoft.com/")
        );
    }
}
