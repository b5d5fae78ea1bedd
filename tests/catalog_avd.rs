//! The complete AVD catalog (`examples/avd`): `init` writes it by default, it validates clean,
//! and `plan all` shows the whole deployment with a believable predicted total.

#[path = "common/deploy.rs"]
mod deploy;

use deploy::Deploy;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

const MODULES: &[&str] = &[
    "00-resource-group",
    "01-networking",
    "02-storage",
    "03-entra-groups",
    "04-host-pool",
    "05-golden-image",
    "06-session-hosts",
    "07-rbac",
    "08-sso",
    "09-autoscaling",
];

#[test]
fn init_writes_the_avd_catalog_by_default_and_it_validates_clean() {
    let deploy = Deploy::avd();
    for module in MODULES {
        assert!(
            deploy
                .path()
                .join("modules")
                .join(module)
                .join("module.yaml")
                .is_file(),
            "{module} written"
        );
    }
    deploy
        .cmd(&["validate"])
        .assert()
        .success()
        .stdout(contains("10 modules").and(contains("no findings")));
}

#[test]
fn plan_all_shows_every_module_and_a_total_of_hours() {
    let deploy = Deploy::avd();
    let output = deploy.cmd(&["plan", "all"]).assert().success();
    let text = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    for module in MODULES {
        assert!(
            text.contains(&format!("Module {module}")),
            "{module} in the plan"
        );
    }
    // VM builds, installs, sysprep and image replication take Azure hours, not minutes.
    let total = text
        .lines()
        .find(|line| line.starts_with("Predicted total: ~"))
        .expect("a predicted total");
    assert!(total.contains('h'), "hours in `{total}`");
    assert!(text.contains("golden-image-create-version (45m00s)"));
    assert!(
        text.contains("parallel group 1, 6 operations"),
        "six groups at once"
    );
}

#[test]
fn init_writes_the_quickstart_on_request_and_lists_the_examples() {
    let deploy = Deploy::new();
    deploy
        .cmd(&[
            "init",
            "--example",
            "quickstart",
            &deploy.path().to_string_lossy(),
        ])
        .assert()
        .success()
        .stdout(contains("quickstart"));
    assert!(
        deploy
            .path()
            .join("modules/05-golden-image/operations/02-install-apps.yaml")
            .is_file()
    );
    assert!(!deploy.path().join("modules/06-session-hosts").exists());
    deploy
        .cmd(&["init", "--list-examples"])
        .assert()
        .success()
        .stdout(
            contains("avd")
                .and(contains("quickstart"))
                .and(contains("(default)")),
        );
}

#[test]
fn init_refuses_an_unknown_example_and_writes_nothing() {
    let deploy = Deploy::new();
    let target = deploy.path().join("new");
    deploy
        .cmd(&["init", "--example", "nope", &target.to_string_lossy()])
        .assert()
        .code(2)
        .stderr(contains("there is no example `nope`").and(contains("avd, quickstart")));
    assert!(!target.exists());
}
