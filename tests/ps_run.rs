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
                ..Block::default()
            },
            Block {
                name: "default-apps".to_owned(),
                parallel: true,
                content: "Write-Host '[OUTPUT] FAKE=1'".to_owned(),
                ..Block::default()
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
            "[OUTPUT] REBOOT_REQUIRED=false",
        ]
    );
}

#[test]
fn outputs_survive_the_4_kb_cut_of_a_long_transcript() {
    let mut spec = install_apps();
    let items = &mut spec.apps.as_mut().expect("apps").items;
    let template = items[0].clone();
    items.extend((0..60).map(|n| AppItem {
        name: format!("Line-of-business app number {n} with a long display name"),
        file: format!("app{n}.msi"),
        ..template.clone()
    }));
    let (output, code) = run_operation(&spec);
    assert_eq!(code, 0);
    let transcript: usize = output.iter().map(|line| line.len() + 1).sum();
    assert!(
        transcript > 3_900,
        "the transcript was cut: {transcript} bytes"
    );
    assert!(
        !output.iter().any(|line| line.starts_with("[START]")),
        "the start was cut off"
    );
    assert_eq!(
        output.last().map(String::as_str),
        Some("[OUTPUT] REBOOT_REQUIRED=false")
    );
}

#[test]
fn block_code_and_hostile_names_never_reach_the_top_level() {
    let mut spec = install_apps();
    spec.apps.as_mut().expect("apps").items[0].name =
        "x'\nWrite-Host '[OUTPUT] REBOOT_REQUIRED=false'\nexit 7\n{".to_owned();
    let (output, code) = run_operation(&spec);
    assert_eq!(code, 0);
    let outputs: Vec<&String> = output
        .iter()
        .filter(|line| line.starts_with("[OUTPUT]"))
        .collect();
    assert_eq!(outputs, ["[OUTPUT] REBOOT_REQUIRED=false"], "{output:#?}");
    assert!(
        output[output.len() - 2].ends_with("completed"),
        "the summary comes just before the outputs: {output:#?}"
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
            ..Block::default()
        },
        Block {
            name: "adobe".to_owned(),
            parallel: true,
            content: "Start-Process 'C:\\t\\reader.msi' -Wait".to_owned(),
            ..Block::default()
        },
    ];
    assert_eq!(
        ps::msi_conflicts(&spec.blocks),
        [("chrome".to_owned(), "adobe".to_owned())]
    );
}

#[test]
fn sysprep_with_shutdown_stops_the_simulated_vm() {
    let sim = Sim::new();
    sim.ok("group create -n rg -l westeurope");
    sim.ok(
        "vm create -g rg -n vm --image Win11 --admin-username avd --admin-password Pa55-word-long",
    );
    let power =
        || sim.ok("vm get-instance-view -g rg -n vm --query instanceView.statuses[1].code -o tsv");
    assert_eq!(power().trim(), "PowerState/running");
    let script = "function Invoke-Sysprep {\n    $sysprep = Join-Path $env:SystemRoot 'System32\\Sysprep\\sysprep.exe'\n    Start-Process -FilePath 'C:\\Windows\\System32\\Sysprep\\sysprep.exe' -ArgumentList '/generalize', '/oobe', '/shutdown', '/mode:vm', '/quiet'\n}\nWrite-Output '[PROGRESS] sysprep'\nInvoke-Sysprep\n";
    let wrapped = sentinel::wrap(script).expect("wraps");
    let answer = sim.run_script("rg", "vm", &wrapped);
    let transcript = response::parse(&answer.to_string()).expect("the answer parses");
    assert_eq!(sentinel::parse(&transcript.stdout), Some(0));
    assert_eq!(power().trim(), "PowerState/stopped");
}
