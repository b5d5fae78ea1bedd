//! Who `az` is signed in as and where it deploys: `az account show -o json`, read in the user's
//! configuration folder or in a run's own.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::invoke::{self, Finished};
use super::preflight::PreflightError;

/// How long one `az account` command may take before the preflight gives up.
const ACCOUNT_TIMEOUT: Duration = Duration::from_secs(120);

/// The selected subscription and the signed-in identity.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Account {
    /// The subscription id.
    pub id: String,
    /// The subscription's display name.
    pub name: String,
    /// The tenant the subscription belongs to.
    #[serde(rename = "tenantId")]
    pub tenant_id: String,
    /// Who is signed in.
    pub user: User,
}

/// The identity `az` is signed in as.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct User {
    /// A user principal name, or a service principal's application id.
    pub name: String,
}

/// Runs `az <args>` with `AZURE_CONFIG_DIR` set to `config_dir` when given (else the user's
/// own folder), and waits for it.
pub fn az(az: &Path, args: &[&str], config_dir: Option<&Path>) -> Result<Finished, PreflightError> {
    let mut command = Command::new(az);
    command.args(args);
    if let Some(dir) = config_dir {
        command.env("AZURE_CONFIG_DIR", dir);
    }
    let step = args.join(" ");
    let finished =
        invoke::run(command, ACCOUNT_TIMEOUT).map_err(|source| PreflightError::Start {
            az: az.to_path_buf(),
            source,
        })?;
    if finished.timed_out {
        return Err(PreflightError::TimedOut {
            step,
            seconds: ACCOUNT_TIMEOUT.as_secs(),
        });
    }
    Ok(finished)
}

/// The account of `az account show -o json`; a failure is read as no login.
pub fn show(az_path: &Path, config_dir: Option<&Path>) -> Result<Account, PreflightError> {
    let finished = az(az_path, &["account", "show", "-o", "json"], config_dir)?;
    if !finished.success() {
        return Err(PreflightError::NotLoggedIn {
            detail: first_line(&finished.stderr),
        });
    }
    serde_json::from_str(&finished.stdout).map_err(|source| PreflightError::Unreadable {
        output: first_line(&finished.stdout),
        source,
    })
}

/// The first non-empty line of what `az` printed, to quote in an error.
pub fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_reads_as_az_prints_it() {
        let text = r#"{"environmentName":"AzureCloud","id":"sub-1","isDefault":true,
            "name":"Contoso Prod","state":"Enabled","tenantId":"t-1",
            "user":{"name":"ana@contoso.com","type":"user"}}"#;
        let account: Account = serde_json::from_str(text).unwrap();
        assert_eq!(
            (
                account.id.as_str(),
                account.name.as_str(),
                account.tenant_id.as_str()
            ),
            ("sub-1", "Contoso Prod", "t-1")
        );
        assert_eq!(account.user.name, "ana@contoso.com");
        assert_eq!(
            first_line("\n  ERROR: run az login\nmore"),
            "ERROR: run az login"
        );
    }
}
