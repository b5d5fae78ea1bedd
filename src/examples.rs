//! The deployment examples built into the binary: `avdeploy init` writes one out as a working
//! folder. `avd` is the complete Azure Virtual Desktop deployment (the default), `quickstart` a
//! small one for demos and tests.

/// One file of an example: its path relative to the deployment folder, and its text.
pub struct ExampleFile {
    /// Relative path.
    pub path: &'static str,
    /// Contents.
    pub text: &'static str,
}

/// A built-in example deployment.
pub struct Example {
    /// The name `init --example` takes.
    pub name: &'static str,
    /// One line saying what it deploys.
    pub summary: &'static str,
    /// Every file of it.
    pub files: &'static [ExampleFile],
}

macro_rules! example_files {
    ($dir:literal: $($path:literal),* $(,)?) => {
        &[$(ExampleFile {
            path: $path,
            text: include_str!(concat!("../examples/", $dir, "/", $path)),
        }),*]
    };
}

/// The example `init` writes when none is named.
pub const DEFAULT_EXAMPLE: &str = "avd";

/// Every built-in example, the default first.
pub const EXAMPLES: &[Example] = &[
    Example {
        name: "avd",
        summary: "complete Azure Virtual Desktop: networking, FSLogix storage, Entra groups, host pool, golden image, session hosts, RBAC, SSO, autoscaling, teardown",
        files: AVD,
    },
    Example {
        name: "quickstart",
        summary: "small demo: resource group, networking, storage, a golden-image VM",
        files: QUICKSTART,
    },
];

/// The example named `name`.
pub fn example(name: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|example| example.name == name)
}

/// Every file of the complete AVD deployment.
pub const AVD: &[ExampleFile] = example_files![
    "avd":
    "config.yaml",
    "modules/00-resource-group/module.yaml",
    "modules/00-resource-group/operations/01-create.yaml",
    "modules/00-resource-group/operations/02-validate.yaml",
    "modules/00-resource-group/operations/90-delete.yaml",
    "modules/01-networking/module.yaml",
    "modules/01-networking/operations/01-create-vnet.yaml",
    "modules/01-networking/operations/02-create-nsg-sessionhosts.yaml",
    "modules/01-networking/operations/03-create-nsg-privateendpoints.yaml",
    "modules/01-networking/operations/04-create-nsg-management.yaml",
    "modules/01-networking/operations/05-create-private-dns.yaml",
    "modules/01-networking/operations/06-create-subnet-sessionhosts.yaml",
    "modules/01-networking/operations/07-create-subnet-privateendpoints.yaml",
    "modules/01-networking/operations/08-create-subnet-management.yaml",
    "modules/01-networking/operations/09-hub-peering.yaml",
    "modules/01-networking/operations/10-route-table.yaml",
    "modules/01-networking/operations/11-validate.yaml",
    "modules/02-storage/module.yaml",
    "modules/02-storage/operations/01-resolve-name.yaml",
    "modules/02-storage/operations/02-create-account.yaml",
    "modules/02-storage/operations/03-enable-kerberos.yaml",
    "modules/02-storage/operations/04-create-share.yaml",
    "modules/02-storage/operations/05-create-private-endpoint.yaml",
    "modules/02-storage/operations/06-validate.yaml",
    "modules/03-entra-groups/module.yaml",
    "modules/03-entra-groups/operations/01-users.yaml",
    "modules/03-entra-groups/operations/02-admins.yaml",
    "modules/03-entra-groups/operations/03-sso-devices.yaml",
    "modules/03-entra-groups/operations/04-fslogix-devices.yaml",
    "modules/03-entra-groups/operations/05-network-devices.yaml",
    "modules/03-entra-groups/operations/06-security-devices.yaml",
    "modules/03-entra-groups/operations/07-validate.yaml",
    "modules/03-entra-groups/operations/90-delete.yaml",
    "modules/04-host-pool/module.yaml",
    "modules/04-host-pool/operations/01-create-host-pool.yaml",
    "modules/04-host-pool/operations/02-create-app-group.yaml",
    "modules/04-host-pool/operations/03-create-workspace.yaml",
    "modules/04-host-pool/operations/04-associate-workspace.yaml",
    "modules/04-host-pool/operations/05-validate.yaml",
    "modules/05-golden-image/module.yaml",
    "modules/05-golden-image/operations/00-check.yaml",
    "modules/05-golden-image/operations/01-create-vm.yaml",
    "modules/05-golden-image/operations/02-create-gallery.yaml",
    "modules/05-golden-image/operations/03-wait-agent.yaml",
    "modules/05-golden-image/operations/04-create-definition.yaml",
    "modules/05-golden-image/operations/05-prepare.yaml",
    "modules/05-golden-image/operations/06-install-apps.yaml",
    "modules/05-golden-image/operations/07-configure.yaml",
    "modules/05-golden-image/operations/08-restart.yaml",
    "modules/05-golden-image/operations/09-sysprep.yaml",
    "modules/05-golden-image/operations/10-generalize.yaml",
    "modules/05-golden-image/operations/11-create-version.yaml",
    "modules/05-golden-image/operations/12-delete-temp-vm.yaml",
    "modules/05-golden-image/operations/13-validate.yaml",
    "modules/06-session-hosts/module.yaml",
    "modules/06-session-hosts/operations/01-registration-token.yaml",
    "modules/06-session-hosts/operations/02-create-vm.yaml",
    "modules/06-session-hosts/operations/03-entra-join.yaml",
    "modules/06-session-hosts/operations/04-register.yaml",
    "modules/06-session-hosts/operations/05-verify.yaml",
    "modules/06-session-hosts/operations/90-remove-session-hosts.yaml",
    "modules/07-rbac/module.yaml",
    "modules/07-rbac/operations/01-share-users.yaml",
    "modules/07-rbac/operations/02-share-admins.yaml",
    "modules/07-rbac/operations/03-vm-user-login.yaml",
    "modules/07-rbac/operations/04-vm-admin-login.yaml",
    "modules/07-rbac/operations/05-desktop-users.yaml",
    "modules/07-rbac/operations/06-validate.yaml",
    "modules/08-sso/module.yaml",
    "modules/08-sso/operations/01-enable-rdp-protocol.yaml",
    "modules/08-sso/operations/02-target-device-group.yaml",
    "modules/08-sso/operations/03-validate.yaml",
    "modules/09-autoscaling/module.yaml",
    "modules/09-autoscaling/operations/01-grant-power-role.yaml",
    "modules/09-autoscaling/operations/02-create-plan.yaml",
    "modules/09-autoscaling/operations/03-assign-plan.yaml",
    "modules/09-autoscaling/operations/04-validate.yaml",
];

/// Every file of the quickstart deployment.
pub const QUICKSTART: &[ExampleFile] = example_files![
    "quickstart":
    "config.yaml",
    "modules/00-resource-group/module.yaml",
    "modules/00-resource-group/operations/01-create-resource-group.yaml",
    "modules/01-networking/module.yaml",
    "modules/01-networking/operations/01-create-vnet.yaml",
    "modules/01-networking/operations/02-create-nsg-sessionhosts.yaml",
    "modules/01-networking/operations/03-create-nsg-privateendpoints.yaml",
    "modules/01-networking/operations/04-create-subnets.yaml",
    "modules/02-storage/module.yaml",
    "modules/02-storage/operations/01-create-account.yaml",
    "modules/02-storage/operations/02-create-share.yaml",
    "modules/05-golden-image/module.yaml",
    "modules/05-golden-image/operations/01-create-vm.yaml",
    "modules/05-golden-image/operations/02-install-apps.yaml",
    "modules/05-golden-image/operations/03-configure.yaml",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn files_under(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            // What a run of the example leaves behind (git-ignored) is not part of it.
            if path.ends_with("artifacts") || path.ends_with(".avdeploy") {
                continue;
            }
            if path.is_dir() {
                files_under(&path, root, out);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }

    #[test]
    fn every_example_holds_every_file_of_its_folder() {
        for example in EXAMPLES {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples")
                .join(example.name);
            let mut on_disk = Vec::new();
            files_under(&root, &root, &mut on_disk);
            on_disk.sort();
            let mut listed: Vec<String> = example.files.iter().map(|f| f.path.to_owned()).collect();
            listed.sort();
            assert_eq!(listed, on_disk, "example {}", example.name);
        }
    }

    #[test]
    fn the_default_example_exists_and_comes_first() {
        assert_eq!(EXAMPLES[0].name, DEFAULT_EXAMPLE);
        assert!(example(DEFAULT_EXAMPLE).is_some());
        assert!(example("quickstart").is_some());
        assert!(example("nope").is_none());
    }
}
