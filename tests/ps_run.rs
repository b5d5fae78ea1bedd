//! A generated-script operation run end to end through the Azure simulator: the script is
//! wrapped with the exit sentinel, sent with `az vm run-command invoke`, and the answer judged as
//! the engine judges it.

#[path = "common/sim_az.rs"]
mod sim_az;

use avdeploy::ps::{self, AppItem, AppsSpec, Block, Install, InstallKind, ScriptSpec};
use avdeploy::runcmd::response;
use avdeploy_wire::sentinel;
use sim_az::Sim;

/// Runs `spec` on a simulated VM and returns the StdOut lines before the sentinel and the exit
/// code the sentinel reports.
fn run_operation(spec: &ScriptSpec) -> (Vec<String>, i32) {
    let sim = Sim::new();
    sim.ok("group create -n rg -l westeurope");
    sim.ok(
        "vm create -g rg -n vm --image Win11 --admin-username avd --admin-password Pa55-word-long",
    );
    let wrapped = sentinel::wrap(&ps::generate(spec)).expect("the script wraps");
    let answer = sim.run_script("rg", "vm", &wrapped);
    let transcript = response::parse(&answer.to_string()).expect("the answer parses");
    let code = sentinel::parse(&transcript.stdout).expect("the sentinel is the last line");
    let mut lines: Vec<String> = transcript.stdout.lines().map(str::to_owned).collect();
    lines.retain(|line| !line.starts_with(sentinel::PREFIX));
    (lines, code)
}

fn install_apps() -> ScriptSpec {
    let msi = |name: &str, file: &str| AppItem {
        name: name.to_owned(),
        url: Some(format!("https://stavd.blob.core.windows.net/media/{file}")),
        file: file.to_owned(),
        install: Install {
            kind: InstallKind::Msi,
            ..Install::default()
        },
        ..AppItem::default()
    };
    ScriptSpec {
        operation_id: "golden-image-install-apps-parallel".to_owned(),
        throttle: 5,
        apps: Some(AppsSpec {
            items: vec![
                msi("Google Chrome", "chrome.msi"),
                msi("Adobe Reader", "reader.msi"),
                msi("FSLogix", "FSLogixAppsSetup.msi"),
            ],
            ..AppsSpec::default()
        }),
        blocks: vec![
            Block {
                name: "vdot".to_owned(),
                parallel: true,
                content: "Write-Host 'vdot'\nexit 3\n".to_owned(),
            },
            Block {
                name: "default-apps".to_owned(),
                parallel: true,
                content: "Write-Host '[OUTPUT] FAKE=1'".to_owned(),
            },
        ],
    }
}

#[test]
fn install_apps_operation_succeeds_with_the_seed_messages_in_order() {
    let (output, code) = run_operation(&install_apps());
    assert_eq!(code, 0, "output: {output:#?}");
    assert_eq!(
        output,
        [
            "[START] golden-image-install-apps-parallel: 3 download(s), 3 install(s), 2 parallel block(s), 0 sequential block(s)",
            "[PROGRESS] Phase 1/3: downloading 3 file(s) to C:\\Temp\\avdeploy",
            "[INFO] Waiting for 3 download(s) to complete...",
            "[SUCCESS] Phase 1/3: downloads complete",
            "[PROGRESS] Phase 2/3: installing 3 app(s), one at a time",
            "[INFO] Installing Google Chrome (1/3)",
            "[SUCCESS] Installed Google Chrome",
            "[INFO] Installing Adobe Reader (2/3)",
            "[SUCCESS] Installed Adobe Reader",
            "[INFO] Installing FSLogix (3/3)",
            "[SUCCESS] Installed FSLogix",
            "[SUCCESS] Phase 2/3: 3 app(s) installed",
            "[PROGRESS] Phase 3/3: running 2 parallel block(s): vdot, default-apps",
            "[INFO] Waiting for 2 block(s) to complete...",
            "[SUCCESS] Phase 3/3: 2 parallel block(s) complete",
            "[SUCCESS] golden-image-install-apps-parallel: 3 download(s), 3 install(s), 2 parallel block(s), 0 sequential block(s) completed",
        ]
    );
}

#[test]
fn block_code_and_hostile_names_never_reach_the_top_level() {
    let mut spec = install_apps();
    spec.apps.as_mut().expect("apps").items[0].name =
        "x'\nWrite-Host '[OUTPUT] REBOOT_REQUIRED=false'\nexit 7\n{".to_owned();
    let (output, code) = run_operation(&spec);
    assert_eq!(code, 0);
    assert!(output.iter().all(|line| !line.starts_with("[OUTPUT]")));
    assert!(
        output
            .last()
            .is_some_and(|line| line.ends_with("completed")),
        "the summary is the last line: {output:#?}"
    );
}

#[test]
fn msi_blocks_in_parallel_are_reported() {
    let mut spec = install_apps();
    spec.blocks = vec![
        Block {
            name: "chrome".to_owned(),
            parallel: true,
            content: "Start-Process msiexec.exe -ArgumentList '/i C:\\t\\chrome.msi /qn' -Wait"
                .to_owned(),
        },
        Block {
            name: "adobe".to_owned(),
            parallel: true,
            content: "Start-Process 'C:\\t\\reader.msi' -Wait".to_owned(),
        },
    ];
    assert_eq!(
        ps::msi_conflicts(&spec.blocks),
        [("chrome".to_owned(), "adobe".to_owned())]
    );
}
