//! What a real run proves before anything starts: an `az` to run, a login, the subscription the
//! config names (selected in a private copy of the user's CLI folder, so the user's default
//! subscription never changes) and its tenant.

use std::path::{Path, PathBuf};

use super::account::{self, Account};
use super::{AzCliError, ConfigDir};

/// The files of the user's CLI folder a run's copy is seeded with: the signed-in accounts and
/// their subscriptions, the cached tokens (MSAL), service principal credentials, the CLI
/// settings and registered clouds. Everything else (logs, telemetry, command index, caches) is
/// the CLI's own and is rebuilt on demand.
pub const SEEDED_FILES: [&str; 5] = [
    "azureProfile.json",
    "config",
    "clouds.config",
    "accessTokens.json",
    "az.json",
];

/// File name prefixes seeded as well (`msal_token_cache.json`, `.bin`, ...).
pub const SEEDED_PREFIXES: [&str; 3] = [
    "msal_token_cache.",
    "msal_http_cache.",
    "service_principal_entries.",
];

/// Where the deployment says it must run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// `azure.subscription_id`, when set.
    pub subscription_id: Option<String>,
    /// `azure.tenant_id`, when set.
    pub tenant_id: Option<String>,
}

/// What stops a real run before it starts.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    /// No `az` to run.
    #[error(
        "no Azure CLI found: a real run (without --simulate) needs `az` on PATH (install it: \
         https://learn.microsoft.com/cli/azure/install-azure-cli, or `pip install azure-cli`), \
         or {var} naming it{detail}",
        var = super::AZ_VAR
    )]
    NoCli {
        /// Where it was looked for, when `AVDEPLOY_AZ` named something unusable.
        detail: String,
    },
    /// `az account show` failed.
    #[error("not logged in to Azure: run `az login` (az account show said: {detail})")]
    NotLoggedIn {
        /// What `az` printed.
        detail: String,
    },
    /// `az account show` printed something else than an account.
    #[error("cannot read the account `az account show -o json` printed: {output}")]
    Unreadable {
        /// The first line it printed.
        output: String,
        /// Why it does not read.
        #[source]
        source: serde_json::Error,
    },
    /// The subscription of the config is not one the login can use.
    #[error(
        "subscription `{id}` (azure.subscription_id) is not available to the logged-in account: \
         {detail} (see `az account list -o table`)"
    )]
    SubscriptionNotFound {
        /// The subscription id.
        id: String,
        /// What `az account set` printed.
        detail: String,
    },
    /// The subscription belongs to another tenant than the config names.
    #[error(
        "azure.tenant_id is `{expected}` but subscription `{subscription}` belongs to tenant \
         `{actual}`"
    )]
    TenantMismatch {
        /// `azure.tenant_id`.
        expected: String,
        /// The account's `tenantId`.
        actual: String,
        /// The subscription.
        subscription: String,
    },
    /// `az` could not be started.
    #[error("cannot start `{}`", az.display())]
    Start {
        /// The `az` run.
        az: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `az` gave no answer in time.
    #[error("`az {step}` gave no answer within {seconds}s")]
    TimedOut {
        /// The arguments.
        step: String,
        /// The limit.
        seconds: u64,
    },
    /// The run's CLI folder could not be made or seeded.
    #[error(transparent)]
    Folder(#[from] AzCliError),
}

impl PreflightError {
    /// Whether the user fixes it by what they give or do (exit 2): everything but a failure to
    /// start `az`, a hung `az` or an unwritable folder.
    pub fn invalid_input(&self) -> bool {
        !matches!(
            self,
            Self::Start { .. } | Self::TimedOut { .. } | Self::Folder(_)
        )
    }
}

/// A login proven for a run, in the subscription it deploys to.
#[derive(Debug)]
pub struct Proven {
    /// The account operations will use.
    pub account: Account,
    /// The run's own CLI folder, when the config pins a subscription (removed when dropped).
    pub pinned: Option<ConfigDir>,
    /// The user's CLI folder.
    pub user_dir: PathBuf,
}

impl Proven {
    /// What the operations' environment needs: the run's folder as `AZURE_CONFIG_DIR`, and
    /// the user's extensions (which live in the user's folder unless `AZURE_EXTENSION_DIR` says
    /// otherwise).
    pub fn environment(&self, var: &dyn Fn(&str) -> Option<String>) -> Vec<(String, String)> {
        let Some(dir) = &self.pinned else {
            return Vec::new();
        };
        let mut env = vec![(
            "AZURE_CONFIG_DIR".to_owned(),
            dir.path().display().to_string(),
        )];
        if var("AZURE_EXTENSION_DIR").is_none() {
            env.push((
                "AZURE_EXTENSION_DIR".to_owned(),
                self.user_dir.join("cliextensions").display().to_string(),
            ));
        }
        env
    }
}

/// The user's CLI folder: `AZURE_CONFIG_DIR`, else `~/.azure`.
pub fn user_config_dir(var: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    var("AZURE_CONFIG_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(var("HOME").unwrap_or_default()).join(".azure"))
}

/// Proves the login with `az` and, when `target` pins a subscription, selects it in a copy of
/// `user_dir` made under `state_dir`; then checks the tenant.
pub fn prove(
    az: &Path,
    target: &Target,
    user_dir: &Path,
    state_dir: &Path,
) -> Result<Proven, PreflightError> {
    let mut account = account::show(az, None)?;
    let pinned = match &target.subscription_id {
        Some(id) => {
            let dir = ConfigDir::create(state_dir)?;
            seed(user_dir, dir.path())?;
            let set = account::az(
                az,
                &["account", "set", "--subscription", id],
                Some(dir.path()),
            )?;
            if !set.success() {
                return Err(PreflightError::SubscriptionNotFound {
                    id: id.clone(),
                    detail: account::first_line(&set.stderr),
                });
            }
            account = account::show(az, Some(dir.path()))?;
            Some(dir)
        }
        None => None,
    };
    if let Some(expected) = &target.tenant_id
        && !expected.eq_ignore_ascii_case(&account.tenant_id)
    {
        return Err(PreflightError::TenantMismatch {
            expected: expected.clone(),
            actual: account.tenant_id,
            subscription: account.id,
        });
    }
    Ok(Proven {
        account,
        pinned,
        user_dir: user_dir.to_path_buf(),
    })
}

/// Copies the [`SEEDED_FILES`] and [`SEEDED_PREFIXES`] files of `from` into `to`, readable by
/// the owner only. A missing `from` seeds nothing (`az` then says there is no login).
fn seed(from: &Path, to: &Path) -> Result<(), AzCliError> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let seeded = SEEDED_FILES.contains(&name.as_ref())
            || SEEDED_PREFIXES
                .iter()
                .any(|prefix| name.starts_with(prefix));
        if !seeded || !entry.file_type().is_ok_and(|kind| kind.is_file()) {
            continue;
        }
        let target = to.join(name.as_ref());
        let io = |action| {
            let path = target.clone();
            move |source| AzCliError::Io {
                action,
                path,
                source,
            }
        };
        std::fs::copy(entry.path(), &target).map_err(io("copy to"))?;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600))
            .map_err(io("restrict"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_holds_the_login_and_settings_only() {
        let (user, run) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for name in [
            "azureProfile.json",
            "msal_token_cache.json",
            "service_principal_entries.bin",
            "config",
            "commandIndex.json",
            "az.log",
        ] {
            std::fs::write(user.path().join(name), name).unwrap();
        }
        std::fs::create_dir(user.path().join("cliextensions")).unwrap();
        seed(user.path(), run.path()).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(run.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "azureProfile.json",
                "config",
                "msal_token_cache.json",
                "service_principal_entries.bin"
            ]
        );
        assert_eq!(
            std::fs::read_to_string(run.path().join("config")).unwrap(),
            "config"
        );
    }

    #[test]
    fn the_user_folder_is_azure_config_dir_else_home() {
        let set = |name: &str| match name {
            "AZURE_CONFIG_DIR" => Some("/cfg".to_owned()),
            "HOME" => Some("/home/ana".to_owned()),
            _ => None,
        };
        assert_eq!(user_config_dir(&set), Path::new("/cfg"));
        let home = |name: &str| (name == "HOME").then(|| "/home/ana".to_owned());
        assert_eq!(user_config_dir(&home), Path::new("/home/ana/.azure"));
    }
}
