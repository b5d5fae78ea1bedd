//! The complete AVD catalog against the simulator: `init`, `run all` completes every operation and
//! leaves the deployment in the simulated subscription; a forced re-run creates nothing twice;
//! `destroy --yes` takes it down.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::Deploy;

const SESSION_HOSTS: usize = 3;
const RG: &str = "rg-avd-prod";

/// Runs the simulator's `az` of the deployment folder, as a user would after the run.
fn az(deploy: &Deploy, args: &[&str]) -> String {
    let sim = deploy.path().join(".avdeploy/sim");
    let output = std::process::Command::new(sim.join("bin/az"))
        .args(args)
        .env("AVDEPLOY_SIM_DIR", &sim)
        .env("AVDEPLOY_SIM_TIME_SCALE", "0")
        .output()
        .expect("az runs");
    assert!(
        output.status.success(),
        "az {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The write calls of the call log (create verbs, PUT/POST through `az rest`), one per line.
fn creates(deploy: &Deploy) -> Vec<String> {
    deploy
        .read(".avdeploy/sim/calls.jsonl")
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
        .map(|call| {
            call["argv"]
                .as_array()
                .expect("argv")
                .iter()
                .map(|a| a.as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|argv| {
            argv.iter().any(|a| a == "create")
                || (argv.first().is_some_and(|a| a == "rest")
                    && argv.iter().any(|a| a == "put" || a == "post"))
        })
        .map(|argv| argv.join(" "))
        .collect()
}

fn session_hosts_available(deploy: &Deploy) -> usize {
    let subscription = az(deploy, &["account", "show", "--query", "id", "-o", "tsv"]);
    let url = format!(
        "https://management.azure.com/subscriptions/{subscription}/resourceGroups/{RG}/providers/Microsoft.DesktopVirtualization/hostPools/hp-avd-pooled/sessionHosts?api-version=2024-04-03"
    );
    az(
        deploy,
        &[
            "rest",
            "--method",
            "get",
            "--url",
            &url,
            "--query",
            "value[?properties.status=='Available'] | length(@)",
            "-o",
            "tsv",
        ],
    )
    .parse()
    .expect("a count")
}

fn group_id(deploy: &Deploy, name: &str) -> String {
    az(
        deploy,
        &[
            "ad",
            "group",
            "list",
            "--filter",
            &format!("displayName eq '{name}'"),
            "--query",
            "[0].id",
            "-o",
            "tsv",
        ],
    )
}

fn assignments(deploy: &Deploy, assignee: &str) -> usize {
    az(
        deploy,
        &[
            "role",
            "assignment",
            "list",
            "--all",
            "--assignee",
            assignee,
            "--query",
            "length(@)",
            "-o",
            "tsv",
        ],
    )
    .parse()
    .expect("a count")
}

#[test]
fn the_avd_catalog_deploys_reruns_without_creating_anything_and_is_destroyed() {
    let deploy = Deploy::avd().env(
        "AVDEPLOY_VAR_SESSION_HOSTS_COUNT",
        &SESSION_HOSTS.to_string(),
    );
    deploy.cmd(&["run", "all", "--simulate"]).assert().success();

    let status = deploy.json(&["status", "--json"]);
    for op in status["operations"].as_array().expect("operations") {
        let id = op["operation"].as_str().unwrap_or_default();
        let expected = if id == "networking-hub-peering" || id == "networking-route-table" {
            "skipped"
        } else {
            "completed"
        };
        assert_eq!(op["status"], expected, "{id}");
    }

    assert_eq!(
        az(
            &deploy,
            &[
                "desktopvirtualization",
                "hostpool",
                "show",
                "-g",
                RG,
                "-n",
                "hp-avd-pooled",
                "--query",
                "hostPoolType",
                "-o",
                "tsv"
            ]
        ),
        "Pooled"
    );
    assert_eq!(session_hosts_available(&deploy), SESSION_HOSTS);
    assert_eq!(
        az(
            &deploy,
            &[
                "sig",
                "image-version",
                "show",
                "-g",
                RG,
                "--gallery-name",
                "gal_avd_prod",
                "--gallery-image-definition",
                "win11-avd-m365",
                "--gallery-image-version",
                "1.0.0",
                "--query",
                "provisioningState",
                "-o",
                "tsv",
            ]
        ),
        "Succeeded"
    );
    let groups = [
        "AVD-Users",
        "AVD-Admins",
        "AVD-SSO-Devices",
        "AVD-FSLogix-Devices",
        "AVD-Network-Devices",
        "AVD-Security-Devices",
    ];
    for name in groups {
        assert!(!group_id(&deploy, name).is_empty(), "group {name}");
    }
    assert_eq!(assignments(&deploy, &group_id(&deploy, "AVD-Users")), 3);
    assert_eq!(assignments(&deploy, &group_id(&deploy, "AVD-Admins")), 2);
    assert_eq!(
        az(
            &deploy,
            &["vm", "list", "-g", RG, "--query", "length(@)", "-o", "tsv"]
        ),
        SESSION_HOSTS.to_string(),
        "the session hosts, and no temporary image VM"
    );

    let before = creates(&deploy);
    deploy
        .cmd(&["run", "all", "--force", "--simulate"])
        .assert()
        .success();
    let after = creates(&deploy);
    assert_eq!(after, before, "a forced re-run creates nothing");
    assert_eq!(session_hosts_available(&deploy), SESSION_HOSTS);

    deploy
        .cmd(&["destroy", "--yes", "--simulate"])
        .assert()
        .success();
    assert_eq!(az(&deploy, &["group", "exists", "--name", RG]), "false");
    for name in groups {
        assert!(group_id(&deploy, name).is_empty(), "group {name} deleted");
    }
}
