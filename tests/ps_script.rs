//! The generated PowerShell: snapshots of whole scripts, a PowerShell parse of each (no ERROR or
//! MISSING node), hostile values that must stay inside their string literals, and wrapping.

use avdeploy::ps::{
    self, AppItem, AppsSpec, Block, ErrorAction, Install, InstallKind, ScriptSpec, ToolStep,
};
use avdeploy_wire::sentinel;

/// Chrome (MSI) and Office (ODT download step), with VDOT and default apps in parallel and a
/// sequential cleanup: the golden-image example of the documentation.
fn golden_image() -> ScriptSpec {
    ScriptSpec {
        operation_id: "golden-image-install-apps".to_owned(),
        throttle: 3,
        apps: Some(AppsSpec {
            items: vec![
                AppItem {
                    name: "Google Chrome".to_owned(),
                    url: Some("https://dl.google.com/chrome/install/googlechromestandaloneenterprise64.msi".to_owned()),
                    file: "chrome.msi".to_owned(),
                    install: Install {
                        kind: InstallKind::Msi,
                        verify: vec![r"C:\Program Files\Google\Chrome\Application\chrome.exe".to_owned()],
                        ..Install::default()
                    },
                    ..AppItem::default()
                },
                AppItem {
                    name: "Office configuration".to_owned(),
                    url: Some("https://stavd.blob.core.windows.net/media/office.xml".to_owned()),
                    file: "office.xml".to_owned(),
                    size: Some(1372),
                    install: Install {
                        kind: InstallKind::None,
                        ..Install::default()
                    },
                    ..AppItem::default()
                },
                AppItem {
                    name: "Microsoft 365 Apps".to_owned(),
                    url: Some("https://officecdn.microsoft.com/pr/wsus/setup.exe".to_owned()),
                    file: "setup.exe".to_owned(),
                    sha256: Some("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".to_owned()),
                    size: None,
                    timeout_secs: 3600,
                    download_step: Some(ToolStep {
                        command: "setup.exe".to_owned(),
                        args: r"/download C:\Temp\avdeploy\office.xml".to_owned(),
                    }),
                    install: Install {
                        kind: InstallKind::Exe,
                        args: r"/configure C:\Temp\avdeploy\office.xml".to_owned(),
                        verify: vec![r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE".to_owned()],
                        ..Install::default()
                    },
                },
            ],
            ..AppsSpec::default()
        }),
        blocks: vec![
            Block {
                name: "vdot".to_owned(),
                parallel: true,
                content: "Write-Host '[INFO] optimising'\n& C:\\Temp\\VDOT\\Windows_VDOT.ps1 -Optimizations All -AcceptEula\n".to_owned(),
                timeout_secs: 1800,
                ..Block::default()
            },
            Block {
                name: "default-apps".to_owned(),
                parallel: true,
                content: "Dism.exe /Online /Import-DefaultAppAssociations:C:\\Temp\\avdeploy\\apps.xml\n".to_owned(),
                error_action: ErrorAction::Stop,
                ..Block::default()
            },
            Block {
                name: "cleanup".to_owned(),
                parallel: false,
                content: "Remove-Item -Recurse -Force C:\\Temp\\avdeploy\\*.part -ErrorAction SilentlyContinue\n".to_owned(),
                ..Block::default()
            },
        ],
    }
}

fn parse(script: &str) -> tree_sitter::Tree {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("the PowerShell grammar loads");
    parser
        .parse(script, None)
        .expect("the parser returns a tree")
}

/// Every node of `tree`, in the order they start in the text.
fn nodes(tree: &tree_sitter::Tree) -> Vec<tree_sitter::Node<'_>> {
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        out.push(node);
        stack.extend(node.children(&mut cursor));
    }
    out.sort_by_key(|node| (node.start_byte(), std::cmp::Reverse(node.end_byte())));
    out
}

fn text<'s>(node: tree_sitter::Node<'_>, script: &'s str) -> &'s str {
    &script[node.byte_range()]
}

/// The `command` nodes of `tree` whose name is `name` (any case).
fn commands<'t>(
    tree: &'t tree_sitter::Tree,
    script: &str,
    name: &str,
) -> Vec<tree_sitter::Node<'t>> {
    nodes(tree)
        .into_iter()
        .filter(|node| node.kind() == "command")
        .filter(|node| {
            node.child_by_field_name("command_name")
                .or_else(|| node.named_child(0))
                .is_some_and(|n| text(n, script).eq_ignore_ascii_case(name))
        })
        .collect()
}

/// The name of the function `node` lies in, if any.
fn enclosing_function<'s>(node: tree_sitter::Node<'_>, script: &'s str) -> Option<&'s str> {
    let mut at = node.parent();
    while let Some(parent) = at {
        if parent.kind() == "function_statement" {
            let mut cursor = parent.walk();
            let name = parent
                .children(&mut cursor)
                .find(|c| c.kind() == "function_name")?;
            return Some(text(name, script));
        }
        at = parent.parent();
    }
    None
}

/// Every ERROR or MISSING node of `script` parsed as PowerShell, with its position.
fn parse_problems(script: &str) -> Vec<String> {
    let tree = parse(script);
    let mut problems = Vec::new();
    for node in nodes(&tree) {
        if node.is_error() || node.is_missing() {
            let at = node.start_position();
            let line = script.lines().nth(at.row).unwrap_or_default();
            problems.push(format!(
                "{} at {}:{}: {line}",
                node.kind(),
                at.row + 1,
                at.column + 1
            ));
        }
    }
    problems
}

fn assert_parses(script: &str) {
    let problems = parse_problems(script);
    assert!(
        problems.is_empty(),
        "parse problems:\n{}",
        problems.join("\n")
    );
}

fn assert_wraps(script: &str) {
    let wrapped = sentinel::wrap(script).expect("a generated script wraps");
    assert_eq!(sentinel::unwrap(&wrapped), Some(script.trim_end()));
    assert_parses(&wrapped);
}

/// Every line of `script` that is a top-level `Write-Host '<literal>'`, unquoted.
fn top_level_says(script: &str) -> Vec<String> {
    script
        .lines()
        .filter_map(|line| line.strip_prefix("Write-Host '")?.strip_suffix('\''))
        .map(|text| text.replace("''", "'"))
        .collect()
}

#[test]
fn golden_image_script_snapshot() {
    let script = ps::generate(&golden_image());
    assert_parses(&script);
    assert_wraps(&script);
    insta::assert_snapshot!(script);
}

#[test]
fn apps_only_script_snapshot() {
    let mut spec = golden_image();
    spec.blocks.clear();
    spec.apps.as_mut().expect("apps").items.truncate(1);
    let script = ps::generate(&spec);
    assert_parses(&script);
    assert!(
        !script.contains("$AvdBlockJob"),
        "no block runtime without blocks"
    );
    insta::assert_snapshot!(script);
}

#[test]
fn blocks_only_script_snapshot() {
    let mut spec = golden_image();
    spec.apps = None;
    let script = ps::generate(&spec);
    assert_parses(&script);
    assert!(
        !script.contains("Install-AvdApp"),
        "no install runtime without apps"
    );
    insta::assert_snapshot!(script);
}

#[test]
fn empty_spec_still_succeeds_cleanly() {
    let spec = ScriptSpec {
        operation_id: "noop".to_owned(),
        ..ScriptSpec::default()
    };
    let script = ps::generate(&spec);
    assert_parses(&script);
    assert_eq!(script.lines().last(), Some("exit 0"));
    assert!(!script.contains("Phase "));
}

#[test]
fn markers_are_top_level_literals_in_phase_order() {
    let says = top_level_says(&ps::generate(&golden_image()));
    let expected = [
        "[START] golden-image-install-apps: 4 download(s), 2 install(s), 2 parallel block(s), 1 sequential block(s)",
        "[PROGRESS] Phase 1/4: downloading 3 file(s), then 1 download step(s), to C:\\Temp\\avdeploy",
        "[INFO] Waiting for 3 download(s) to complete...",
        "[INFO] Waiting for 1 download step(s) to complete...",
        "[PROGRESS] Phase 2/4: installing 2 app(s), one at a time",
        "[INFO] Installing Google Chrome (1/2)",
        "[INFO] Installing Microsoft 365 Apps (2/2)",
        "[PROGRESS] Phase 3/4: running 2 parallel block(s): vdot, default-apps",
        "[INFO] Waiting for 2 block(s) to complete...",
        "[PROGRESS] Phase 4/4: running 1 block(s) in order",
        "[SUCCESS] golden-image-install-apps: 4 download(s), 2 install(s), 2 parallel block(s), 1 sequential block(s) completed",
    ];
    let mut rest = says.iter();
    for line in expected {
        assert!(
            rest.any(|said| said == line),
            "missing or out of order: {line}\nall: {says:#?}"
        );
    }
}

#[test]
fn the_seed_contract_is_in_the_script() {
    let script = ps::generate(&golden_image());
    for needle in [
        "$ProgressPreference = 'SilentlyContinue'",
        "[Net.SecurityProtocolType]::Tls12",
        "Start-Job -ScriptBlock $Body",
        "if ($running -lt $Limit) { break }",
        "'Job failed: {0}: {1}' -f $Entry.Name, $result.Error",
        "finally {",
        "Remove-Job -Job $entry.Job -Force",
        "Start-Process -FilePath $FilePath -ArgumentList $Arguments -PassThru",
        "/qn /norestart /l*v",
        "while ($code -eq 1618 -and $attempt -lt 10) {",
        "Set-AvdOutput 'REBOOT_REQUIRED' 'true'",
        "Get-FileHash -LiteralPath $File -Algorithm SHA256",
        "'[INFO] cached, download skipped'",
    ] {
        assert!(script.contains(needle), "missing: {needle}");
    }
    assert!(!script.contains("-Parallel"), "no PowerShell 7 syntax");
    assert!(!script.contains("??"), "no PowerShell 7 syntax");
}

/// Values that try to leave their string literal: quotes of every kind, subexpressions,
/// backticks, newlines that would start a new line of code or forge a marker.
const HOSTILE: [&str; 6] = [
    "a'; Remove-Item C:\\ -Recurse; '",
    "\u{2019}; exit 0; \u{2018}",
    "$(Invoke-Expression 'calc') `n ${env:PATH}",
    "x\nexit 0\nWrite-Host '[OUTPUT] REBOOT_REQUIRED=false'",
    "y\r\n'@\n#>\n}",
    "\"double\" and @' here '@",
];

fn hostile_spec(value: &str) -> ScriptSpec {
    ScriptSpec {
        operation_id: value.to_owned(),
        throttle: 2,
        apps: Some(AppsSpec {
            download_dir: value.to_owned(),
            items: vec![AppItem {
                name: value.to_owned(),
                url: Some(format!("https://example.com/{value}")),
                file: value.to_owned(),
                sha256: Some(value.to_owned()),
                download_step: Some(ToolStep {
                    command: value.to_owned(),
                    args: value.to_owned(),
                }),
                install: Install {
                    kind: InstallKind::Msi,
                    args: value.to_owned(),
                    success_codes: vec![0],
                    verify: vec![value.to_owned(), value.to_owned()],
                },
                ..AppItem::default()
            }],
        }),
        blocks: vec![
            Block {
                name: value.to_owned(),
                parallel: true,
                content: value.to_owned(),
                ..Block::default()
            },
            Block {
                name: value.to_owned(),
                parallel: false,
                content: value.to_owned(),
                error_action: ErrorAction::Stop,
                timeout_secs: 60,
            },
        ],
    }
}

#[test]
fn hostile_values_stay_inside_their_literals() {
    let reference = ps::generate(&hostile_spec("v"));
    for value in HOSTILE {
        let script = ps::generate(&hostile_spec(value));
        assert_parses(&script);
        assert_wraps(&script);
        // Same number of lines as with a plain value: nothing broke out onto a line of its own.
        assert_eq!(
            script.lines().count(),
            reference.lines().count(),
            "line count changed for {value:?}"
        );
        let exits: Vec<&str> = script.lines().filter(|l| l.starts_with("exit")).collect();
        assert_eq!(exits, ["exit 0"], "for {value:?}");
        let outputs = script
            .lines()
            .filter(|line| line.starts_with("Write-Host '[OUTPUT]"))
            .count();
        assert_eq!(outputs, 0, "no forged top-level output for {value:?}");
    }
}

#[test]
fn hostile_values_survive_intact_in_the_parsed_strings() {
    for value in HOSTILE {
        let script = ps::generate(&hostile_spec(value));
        let rebuilt = ps::literal(value);
        assert!(
            script.contains(&format!("-Arguments @({rebuilt}, ")),
            "block content not passed verbatim for {value:?}"
        );
    }
}

#[test]
fn quote_output_parses_as_one_string() {
    for value in HOSTILE {
        let script = format!("$x = {}\n", ps::quote(value));
        assert_parses(&script);
        let script = format!("$x = {}\n", ps::literal(value));
        assert_parses(&script);
    }
}

#[test]
fn throttle_zero_is_one() {
    let spec = ScriptSpec {
        throttle: 0,
        ..golden_image()
    };
    assert!(ps::generate(&spec).contains("\n$AvdThrottle = 1\n"));
}

#[test]
fn redacted_script_hides_quoted_secrets() {
    let mut spec = golden_image();
    spec.blocks[0].content = "$p = 'S3cr'$t'\nWrite-Host ok".to_owned();
    let script = ps::generate(&spec);
    assert!(script.contains("S3cr''$t"));
    let shown = ps::redact_script(&script, &["S3cr'$t".to_owned()]);
    assert!(!shown.contains("S3cr"), "secret left in:\n{shown}");
    assert!(shown.contains("***"));
}

#[test]
fn installers_are_awaited_with_a_timeout_and_never_with_start_process_wait() {
    let script = ps::generate(&golden_image());
    let tree = parse(&script);
    let starts = commands(&tree, &script, "Start-Process");
    assert!(starts.len() >= 4, "{starts:?}");
    for start in &starts {
        let command = text(*start, &script);
        assert!(
            !command.to_ascii_lowercase().contains("-wait"),
            "waits for descendants: {command}"
        );
        assert!(command.contains("-PassThru"), "{command}");
    }
    assert!(
        !script.contains("Wait = $true"),
        "no -Wait through splatting"
    );
    for needle in [
        "[void]$process.Handle",
        "if (-not $process.WaitForExit($limit)) {",
        "'/PID {0} /T /F' -f $ProcessId",
        "'Install failed: {0}: timed out after {1} s, the installer and its child processes were stopped' -f $Name, $TimeoutSeconds",
    ] {
        assert!(script.contains(needle), "missing: {needle}");
    }
    let installs: Vec<&str> = commands(&tree, &script, "Install-AvdApp")
        .into_iter()
        .map(|node| text(node, &script).trim_end())
        .filter(|command| command.contains("-Kind"))
        .collect();
    assert_eq!(installs.len(), 2, "{installs:#?}");
    assert!(
        installs[0].ends_with("-TimeoutSeconds 900"),
        "{}",
        installs[0]
    );
    assert!(
        installs[1].ends_with("-TimeoutSeconds 3600"),
        "{}",
        installs[1]
    );
}

#[test]
fn native_stderr_never_meets_the_stop_preference() {
    let script = ps::generate(&golden_image());
    let tree = parse(&script);
    let all = nodes(&tree);
    let merges: Vec<_> = all
        .iter()
        .filter(|node| node.kind() == "merging_redirection_operator")
        .collect();
    assert!(!merges.is_empty(), "the block job merges its streams");
    for merge in merges {
        let mut block = merge.parent();
        while let Some(node) = block {
            if node.kind() == "script_block_expression" {
                break;
            }
            block = node.parent();
        }
        let block = block.expect("the merge is inside the block job's script block");
        let body = text(block, &script);
        let preferences: Vec<&str> = body
            .lines()
            .map(str::trim)
            .filter(|line| line.starts_with("$ErrorActionPreference ="))
            .collect();
        assert_eq!(
            preferences,
            ["$ErrorActionPreference = 'Continue'"],
            "{body}"
        );
        assert!(body.contains("$PSDefaultParameterValues = @{ '*:ErrorAction' = 'Stop' }"));
        assert!(body.contains("$code = $global:LASTEXITCODE"));
    }
    // The blocks' own choices travel as arguments.
    assert!(script.contains(
        ", 'Continue', 'C:\\Windows\\Temp\\avdeploy\\golden-image-install-apps\\1-vdot.log')"
    ));
    assert!(script.contains(
        ", 'Stop', 'C:\\Windows\\Temp\\avdeploy\\golden-image-install-apps\\2-default-apps.log')"
    ));
    assert!(
        script.contains(
            "Start-AvdJob -Name 'vdot' -Body $AvdBlockJob -TimeoutSeconds 1800 -LogFile "
        )
    );
}

#[test]
fn outputs_are_printed_only_at_the_very_end() {
    let script = ps::generate(&golden_image());
    let tree = parse(&script);
    let printers: Vec<Option<&str>> = nodes(&tree)
        .into_iter()
        .filter(|node| node.kind() == "string_literal")
        .filter(|node| text(*node, &script).starts_with("'[OUTPUT] "))
        .map(|node| enclosing_function(node, &script))
        .collect();
    assert_eq!(printers, [Some("Write-AvdOutputs")]);
    let tail: Vec<&str> = script.lines().rev().take(3).collect();
    assert_eq!(tail[0], "exit 0");
    assert_eq!(tail[1], "Write-AvdOutputs");
    assert!(tail[2].starts_with("Write-Host '[SUCCESS] golden-image-install-apps"));
    let wrapped = sentinel::wrap(&script).expect("wraps");
    let last: Vec<&str> = wrapped.lines().rev().take(4).collect();
    assert_eq!(
        last,
        [
            "exit $avdCode",
            "Write-Output ('AVDEPLOY_EXIT_CODE=' + $avdCode)",
            "if ($null -eq $avdCode) { $avdCode = 0 }",
            "foreach ($avdLine in $avdOutputs) { Write-Output $avdLine }",
        ]
    );
    assert_parses(&wrapped);
}
