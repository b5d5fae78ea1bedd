//! The load cache seen from the command line: a large deployment validates and plans the same
//! from the cache as from its files, edits and config changes are found, a broken cache is
//! only slower, and `--no-cache` neither reads nor writes it.

#[path = "common/deploy.rs"]
mod deploy;

use std::time::Duration;

use deploy::{Deploy, bash_op, module_yaml};

/// Operation files: above the 256 from which the cache is used.
const FILES: usize = 300;

const CONFIG: &str = "azure:\n  location: \"westeurope\"\n";

fn op_id(n: usize) -> String {
    format!("op-{n:04}")
}

fn op_file(n: usize) -> String {
    format!("modules/m/operations/{}.yaml", op_id(n))
}

/// A deployment of one module whose operations echo a config variable, old enough for the
/// cache to store every file.
fn large() -> Deploy {
    large_with(|id| format!("echo \"{id} in {{{{AZURE_LOCATION}}}}\""))
}

/// A deployment of one module whose operations run `script(id)`, old enough for the cache to
/// store every file.
fn large_with(script: fn(&str) -> String) -> Deploy {
    let ids: Vec<String> = (0..FILES).map(op_id).collect();
    let entries: Vec<(&str, Option<u32>)> = ids.iter().map(|id| (id.as_str(), None)).collect();
    let deploy = ids.iter().fold(
        Deploy::new()
            .config(CONFIG)
            .module("m", &module_yaml("m", &entries)),
        |deploy, id| deploy.operation("m", id, &bash_op(id, 60, &script(id))),
    );
    // Files changed in the last 3 seconds are not stored (their change time cannot be set back).
    std::thread::sleep(Duration::from_millis(3_200));
    deploy
}

/// stdout, stderr and exit code of `avdeploy <args>`.
fn outcome(deploy: &Deploy, args: &[&str]) -> (String, String, Option<i32>) {
    let output = deploy.std_cmd(args).output().expect("avdeploy runs");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code(),
    )
}

fn cache(deploy: &Deploy) -> std::path::PathBuf {
    deploy.path().join(".avdeploy/cache/operations.bin")
}

#[test]
fn the_cache_gives_what_the_files_give() {
    let deploy = large();
    let valid = (
        format!("valid: 1 module and {FILES} operations checked, no findings\n"),
        String::new(),
        Some(0),
    );
    assert_eq!(outcome(&deploy, &["validate"]), valid);
    assert!(
        cache(&deploy).is_file(),
        "the first validate stores the cache"
    );
    let stored = std::fs::read(cache(&deploy)).expect("cache");
    assert_eq!(
        outcome(&deploy, &["validate"]),
        valid,
        "served from the cache"
    );
    assert_eq!(
        std::fs::read(cache(&deploy)).expect("cache"),
        stored,
        "nothing to store again"
    );
    assert_eq!(
        outcome(&deploy, &["plan", "all"]),
        outcome(&deploy, &["plan", "all", "--no-cache"])
    );

    // An edited file is read again: its finding names the file and line and quotes it.
    let edited = bash_op(&op_id(7), 60, "echo \"{{NO_SUCH_VARIABLE}}\"");
    std::fs::write(deploy.path().join(op_file(7)), edited).expect("edit");
    let (_, stderr, code) = outcome(&deploy, &["validate"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(&format!("{}:7:", op_file(7))), "{stderr}");
    assert!(stderr.contains("{{NO_SUCH_VARIABLE}}"), "{stderr}");
    assert_eq!(
        outcome(&deploy, &["validate", "--no-cache"]),
        ("".into(), stderr.clone(), Some(2))
    );

    // Checks still run on every operation from the cache: a variable gone from config.yaml
    // is a finding in each, quoted from its file.
    std::fs::write(
        deploy.path().join("config.yaml"),
        "azure:\n  resource_group: \"rg\"\n",
    )
    .expect("config");
    let from_cache = outcome(&deploy, &["validate"]);
    assert_eq!(from_cache.2, Some(2));
    assert_eq!(
        from_cache.1.matches("unknown-variable").count(),
        FILES,
        "{}",
        from_cache.1
    );
    assert!(from_cache.1.contains(&format!("{}:7:", op_file(3))));
    assert_eq!(from_cache, outcome(&deploy, &["validate", "--no-cache"]));
}

#[test]
fn findings_in_scripts_from_the_cache_quote_them_from_their_files() {
    // `validate` keeps what its checks need of each script, not its text: a finding in one
    // reads the file again, and must say what a load of every file says.
    let deploy = large_with(|id| {
        format!(
            "echo \"{id}\"\naz group list -l \"$AZURE_LOCATION\" -o none # {{{{AZURE_LOCATION}}}}"
        )
    });
    let clean = outcome(&deploy, &["validate"]);
    assert_eq!(clean.2, Some(0), "{clean:?}");
    assert_eq!(outcome(&deploy, &["validate"]), clean, "from the cache");
    // What the other commands take from the cache still holds the scripts.
    let (script, _, code) = outcome(&deploy, &["script", &op_id(9)]);
    assert_eq!(code, Some(0));
    assert!(
        script.contains("az group list -l \"$AZURE_LOCATION\" -o none # westeurope"),
        "{script}"
    );
    std::fs::write(
        deploy.path().join("config.yaml"),
        "azure:\n  resource_group: \"rg\"\n",
    )
    .expect("config");
    let (stdout, stderr, code) = outcome(&deploy, &["validate"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.matches("unknown-shell-variable").count(), FILES);
    assert_eq!(stderr.matches("unknown-variable").count(), FILES);
    assert!(stderr.contains(&format!("{}:8:", op_file(9))), "{stderr}");
    assert!(stderr.contains("$AZURE_LOCATION"), "{stderr}");
    assert_eq!(
        (stdout, stderr, code),
        outcome(&deploy, &["validate", "--no-cache"])
    );
}

#[test]
fn a_plan_against_a_state_compares_the_scripts_themselves() {
    // Without a state, `plan` needs no script text either; with one, it compares what each
    // completed operation ran with what it would run now, script text included.
    let deploy = large();
    assert_eq!(outcome(&deploy, &["plan", "all"]).2, Some(0));
    let (_, stderr, code) = outcome(&deploy, &["run", "all", "--simulate", "--throttle", "16"]);
    assert_eq!(code, Some(0), "{stderr}");
    let (stdout, stderr, code) = outcome(&deploy, &["plan", "all"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.starts_with(&format!(
            "Nothing to do: all {FILES} operations are up to date"
        )),
        "{stdout}"
    );
}

#[test]
fn a_broken_cache_is_only_slower_and_no_cache_writes_none() {
    let deploy = large();
    let expected = outcome(&deploy, &["validate", "--no-cache"]);
    assert_eq!(expected.2, Some(0), "{}", expected.1);
    assert!(
        !deploy.path().join(".avdeploy").exists(),
        "--no-cache writes nothing"
    );

    std::fs::create_dir_all(cache(&deploy).parent().expect("folder")).expect("folder");
    for broken in [&b"garbage"[..], &[0xff; 4096][..], &[][..]] {
        std::fs::write(cache(&deploy), broken).expect("corrupt");
        assert_eq!(outcome(&deploy, &["validate"]), expected);
        assert!(
            std::fs::metadata(cache(&deploy)).expect("cache").len() > 4096,
            "stored again"
        );
    }

    // A cache that cannot be written (its folder is a file) changes nothing either.
    std::fs::remove_dir_all(deploy.path().join(".avdeploy/cache")).expect("remove");
    std::fs::write(deploy.path().join(".avdeploy/cache"), "in the way").expect("block");
    assert_eq!(outcome(&deploy, &["validate"]), expected);
}

#[test]
fn help_explains_no_cache() {
    let deploy = Deploy::new();
    let (stdout, _, code) = outcome(&deploy, &["validate", "--help"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("--no-cache"), "{stdout}");
    assert!(stdout.contains("load cache"), "{stdout}");
}
