//! The AVD catalog (examples/avd) with the real az against the local Azure. In the suite: the
//! resource group, the six Entra groups (parallel, one login) and single sign-on through Graph,
//! run twice, the second time creating nothing; the host pool module, which needs the desktopvirtualization extension,
//! reported as not covered, by name, and never sent. The whole set of core-CLI modules takes
//! minutes of az starts: `cargo test --test emulator_catalog -- --ignored` runs it.

#[path = "common/azure_cli.rs"]
mod azure_cli;
#[path = "common/deploy.rs"]
mod deploy;

use std::time::Duration;

use azure_cli::{requests, run, run_within, stored_ids, with_az};
use deploy::Deploy;

/// How long one run of the whole catalog may take before the test stops it and fails.
const CATALOG_LIMIT: Duration = Duration::from_secs(2700);

/// Actions sent as POST that only read: Graph's queries by id, a storage account's keys.
const READING_ACTIONS: [&str; 4] = [
    "/getByIds",
    "/checkMemberGroups",
    "/getMemberObjects",
    "/listKeys",
];

/// The writes to Resource Manager or Graph among `requests`.
fn writes(requests: &[(String, String)]) -> Vec<&(String, String)> {
    requests
        .iter()
        .filter(|(method, _)| matches!(method.as_str(), "PUT" | "PATCH" | "POST" | "DELETE"))
        .filter(|(_, path)| !READING_ACTIONS.iter().any(|action| path.ends_with(action)))
        .filter(|(_, path)| path.starts_with("/subscriptions") || path.starts_with("/v1.0"))
        .collect()
}

#[test]
fn resource_group_entra_groups_and_sso_run_and_a_second_run_creates_nothing() {
    let deploy = with_az(Deploy::avd());
    for module in ["00-resource-group", "03-entra-groups", "08-sso"] {
        let (code, out) = run(&deploy, &[module, "--throttle", "8"]);
        assert_eq!(code, Some(0), "{module}:\n{out}");
    }
    let first = requests(&deploy);
    let groups = writes(&first)
        .iter()
        .filter(|(method, path)| method == "POST" && path == "/v1.0/groups")
        .count();
    assert_eq!(groups, 6, "{first:#?}");
    let before = stored_ids(&deploy);
    for module in ["00-resource-group", "03-entra-groups", "08-sso"] {
        let (code, out) = run(&deploy, &[module, "--force", "--throttle", "8"]);
        assert_eq!(code, Some(0), "{module} again:\n{out}");
    }
    // The scripts find what exists: the resource group's tags are set again, nothing is created.
    assert_eq!(stored_ids(&deploy), before);
    let second = requests(&deploy);
    let again: Vec<_> = writes(&second[first.len()..])
        .into_iter()
        .filter(|(_, path)| !before.contains(&path.to_ascii_lowercase()))
        .collect();
    assert!(again.is_empty(), "the second run created: {again:#?}");
    let show = deploy
        .cmd(&["sim", "show", "--backend", "azure-cli"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(text.contains("Microsoft.Graph/groups (6): "), "{text}");
    assert!(
        text.contains("Microsoft.Resources/resourceGroups (1): rg-avd-prod"),
        "{text}"
    );
}

#[test]
fn the_host_pool_module_is_reported_not_covered_by_name_and_never_sent() {
    let deploy = with_az(Deploy::avd());
    let (code, out) = run(&deploy, &["04-host-pool"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("[!] Not covered by --simulate=azure-cli: 5 operations skipped"),
        "{out}"
    );
    assert!(
        out.contains(
            "04-host-pool: host-pool-create (needs the az extension `desktopvirtualization`, \
             which is not installed)"
        ),
        "{out}"
    );
    let sent = requests(&deploy);
    assert!(
        !sent
            .iter()
            .any(|(_, path)| path.contains("DesktopVirtualization")),
        "{sent:#?}"
    );
}

#[test]
#[ignore = "minutes of az starts: the catalog's core-CLI modules end to end"]
fn the_core_cli_modules_run_to_completion_and_again_create_nothing() {
    let deploy = with_az(Deploy::avd());
    let (code, out) = run_within(&deploy, &["all", "--throttle", "8"], CATALOG_LIMIT);
    assert_eq!(code, Some(0), "{out}");
    for module in ["04-host-pool", "09-autoscaling"] {
        assert!(
            out.contains(&format!("    {module}: ")),
            "{module} not reported:\n{out}"
        );
    }
    assert!(!out.contains(" failed"), "{out}");
    // RBAC on the share and the resource group is core CLI: it runs; on the app group it cannot.
    for op in [
        "rbac-share-users",
        "rbac-vm-admin-login",
        "session-host-create",
        "session-host-entra-join",
        "golden-image-create-version",
        "sso-validate",
        "autoscale-create-plan",
    ] {
        // A `for_each` operation completes as its instances (`session-host-create@1`, ...).
        let done = out.lines().any(|line| {
            line.contains(&format!("Operation {op}")) && line.contains("completed successfully")
        });
        assert!(done, "{op} did not complete:\n{out}");
    }
    for skipped in [
        "rbac-desktop-users (needs the az extension `desktopvirtualization`",
        "autoscale-validate (requires autoscale-assign-plan, which this mode does not cover)",
        "session-hosts-verify (requires session-host-register@1, which this mode does not cover)",
    ] {
        assert!(out.contains(skipped), "{skipped}:\n{out}");
    }
    let first = requests(&deploy);
    let before = stored_ids(&deploy);
    let (code, out) = run_within(
        &deploy,
        &["all", "--force", "--throttle", "8"],
        CATALOG_LIMIT,
    );
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(stored_ids(&deploy), before);
    let second = requests(&deploy);
    let again: Vec<_> = writes(&second[first.len()..])
        .into_iter()
        .filter(|(_, path)| !before.contains(&path.to_ascii_lowercase()))
        .collect();
    assert!(again.is_empty(), "the second run created: {again:#?}");
}
