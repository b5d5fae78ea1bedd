//! A generated-script operation run end to end under the run-command simulator's documented
//! contract: the script is wrapped with the exit sentinel, unwrapped as the simulator does, its
//! top-level literal `Write-Host`/`Write-Output` lines echoed, and its top-level `exit N` obeyed.

use avdeploy::ps::{self, AppItem, AppsSpec, Block, Install, InstallKind, ScriptSpec};
use avdeploy::runcmd::sentinel;

/// Where a scan of PowerShell text is: in code (with a brace depth), a string, or a comment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Code,
    Single,
    Double,
    BlockComment,
}

/// The simulator's contract: echoed lines and the exit code of a top-level `exit N` (0 if none).
fn simulate(script: &str) -> (Vec<String>, i32) {
    let (mut mode, mut depth, mut echoed) = (Mode::Code, 0_i32, Vec::new());
    for line in script.lines() {
        if mode == Mode::Code && depth == 0 {
            let literal = line
                .strip_prefix("Write-Host '")
                .or_else(|| line.strip_prefix("Write-Output '"))
                .and_then(|rest| rest.strip_suffix('\''));
            if let Some(text) = literal.filter(|text| !text.replace("''", "").contains('\'')) {
                echoed.push(text.replace("''", "'"));
            }
            if let Some(code) = line
                .strip_prefix("exit ")
                .and_then(|c| c.trim().parse().ok())
            {
                return (echoed, code);
            }
        }
        scan(line, &mut mode, &mut depth);
    }
    (echoed, 0)
}

/// Advances `mode` and `depth` over one line.
fn scan(line: &str, mode: &mut Mode, depth: &mut i32) {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let (c, next) = (chars[i], chars.get(i + 1).copied());
        match (*mode, c) {
            (Mode::Code, '#') => return,
            (Mode::Code, '<') if next == Some('#') => *mode = Mode::BlockComment,
            (Mode::Code, '\'') => *mode = Mode::Single,
            (Mode::Code, '"') => *mode = Mode::Double,
            (Mode::Code, '{') => *depth += 1,
            (Mode::Code, '}') => *depth -= 1,
            (Mode::Single, '\'') if next == Some('\'') => i += 1,
            (Mode::Single, '\'') | (Mode::Double, '"') => *mode = Mode::Code,
            (Mode::Double, '`') => i += 1,
            (Mode::BlockComment, '#') if next == Some('>') => *mode = Mode::Code,
            _ => {}
        }
        i += 1;
    }
}

/// Runs `spec` as an operation: generate, wrap, unwrap, simulate, then read the sentinel back.
fn run_operation(spec: &ScriptSpec) -> (Vec<String>, i32) {
    let wrapped = sentinel::wrap(&ps::generate(spec)).expect("the script wraps");
    let body = sentinel::unwrap(&wrapped).expect("the wrapper holds the script");
    let (mut output, code) = simulate(body);
    output.push(sentinel::line(code));
    let stdout = output.join("\n");
    let reported = sentinel::parse(&stdout).expect("the sentinel is the last line");
    output.pop();
    (output, reported)
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
