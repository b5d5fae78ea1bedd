//! `avdeploy report`: the HTML timeline of a run against the simulator with injected faults holds
//! every attempt (retries as bars of their own, with their error class), the prediction and the
//! critical path, fetches nothing, and renders in real headless Chromium with every bar visible.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/sim_run.rs"]
mod sim_run;

use std::path::{Path, PathBuf};
use std::process::Command;

use deploy::{Deploy, bash_op, module_yaml};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use sim_run::run_all;

const CONFIG: &str = "azure:\n  resource_group: \"rg-report\"\n";

/// Retry waits shortened to nothing, so the test does not wait.
const QUICK_ERRORS: &str = "\
errors:
  - class: another_operation_in_progress
    match: [\"AnotherOperationInProgress\"]
    policy: retry
    max_attempts: 8
    backoff: 0
    max_delay: 0
";

/// Setup, then a parallel group of a subnet (whose first two creates meet a busy Azure), an NSG
/// and a public IP, then a last sequential operation.
fn deployment() -> Deploy {
    Deploy::new()
        .config(CONFIG)
        .file("errors.yaml", QUICK_ERRORS)
        .module(
            "net",
            &module_yaml(
                "net",
                &[
                    ("setup", None),
                    ("subnet", Some(1)),
                    ("nsg", Some(1)),
                    ("pip", Some(1)),
                    ("last", None),
                ],
            ),
        )
        .operation(
            "net",
            "00-setup",
            &bash_op(
                "setup",
                60,
                "az group create -n \"$AZURE_RESOURCE_GROUP\" -l westeurope -o none\n\
                 az network vnet create -g \"$AZURE_RESOURCE_GROUP\" -n vnet1 --address-prefixes 10.0.0.0/16 -o none",
            ),
        )
        .operation(
            "net",
            "01-subnet",
            &bash_op(
                "subnet",
                60,
                "az network vnet subnet create -g \"$AZURE_RESOURCE_GROUP\" --vnet-name vnet1 -n s1 --address-prefixes 10.0.1.0/24 -o none",
            ),
        )
        .operation(
            "net",
            "02-nsg",
            &bash_op(
                "nsg",
                60,
                "az network nsg create -g \"$AZURE_RESOURCE_GROUP\" -n nsg1 -o none",
            ),
        )
        .operation(
            "net",
            "03-pip",
            &bash_op(
                "pip",
                60,
                "az network public-ip create -g \"$AZURE_RESOURCE_GROUP\" -n pip1 -o none",
            ),
        )
        .operation("net", "04-last", &bash_op("last", 60, "echo done"))
        .env(
            "AVDEPLOY_SIM_FAULTS",
            "network vnet subnet create call=1-2 => busy",
        )
}

/// (operation, attempt) of every attempt row of the state that started.
fn attempts_in_state(deploy: &Deploy) -> Vec<(String, u32)> {
    let db = rusqlite::Connection::open(deploy.path().join(".avdeploy/state.db")).expect("state");
    let mut stmt = db
        .prepare("SELECT operation, attempt FROM attempts WHERE attempt > 0 ORDER BY id")
        .expect("query");
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// (operation, attempt, class attribute) of every attempt bar of the page.
fn bars(html: &str) -> Vec<(String, u32, String)> {
    let mut found = Vec::new();
    let mut operation = String::new();
    for piece in html.split('<') {
        if let Some(rest) = piece.strip_prefix("g class=\"op") {
            operation = attribute(rest, "data-operation").expect("operation of a row");
        }
        if let Some(rest) = piece.strip_prefix("rect class=\"attempt ") {
            let class = rest.split('"').next().expect("class").to_owned();
            let attempt = attribute(rest, "data-attempt")
                .and_then(|a| a.parse().ok())
                .expect("attempt number");
            found.push((operation.clone(), attempt, class));
        }
    }
    found
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    Some(tag[start..].split('"').next()?.to_owned())
}

fn report(deploy: &Deploy, extra: &[&str]) -> (PathBuf, String) {
    let output = deploy.path().join("out/report.html");
    let mut args = vec!["report"];
    args.extend_from_slice(extra);
    let out = output.to_string_lossy().into_owned();
    args.extend(["-o", &out]);
    deploy
        .cmd(&args)
        .assert()
        .success()
        .stdout(contains("written to").and(contains("report.html")));
    let html = std::fs::read_to_string(&output).expect("the report");
    (output, html)
}

#[test]
fn the_report_holds_every_attempt_with_retries_and_the_prediction() {
    let deploy = deployment();
    let (code, stdout) = run_all(&deploy);
    assert_eq!(code, Some(0), "{stdout}");
    let in_state = attempts_in_state(&deploy);
    assert!(
        in_state.contains(&("subnet".to_owned(), 3)),
        "the faults should cause two retries: {in_state:?}"
    );
    let (_, html) = report(&deploy, &[]);

    let drawn = bars(&html);
    let mut drawn_keys: Vec<(String, u32)> =
        drawn.iter().map(|(o, a, _)| (o.clone(), *a)).collect();
    let mut expected = in_state.clone();
    drawn_keys.sort();
    expected.sort();
    assert_eq!(drawn_keys, expected, "one bar per attempt");
    let subnet: Vec<&str> = drawn
        .iter()
        .filter(|(o, _, _)| o == "subnet")
        .map(|(_, _, c)| c.as_str())
        .collect();
    assert_eq!(subnet, ["s-retried", "s-retried", "s-completed"]);
    assert_eq!(
        html.matches(">another_operation_in_progress</text>")
            .count(),
        2
    );
    assert!(html.contains(
        "subnet attempt 1: failed, retried\nerror class: another_operation_in_progress\nexit code: "
    ));
    assert!(html.contains("command: az network vnet subnet create"));
    assert!(html.contains("log: artifacts/logs/subnet_"));

    for heading in ["net · stage 1", "net · stage 2", "net · stage 3"] {
        assert!(html.contains(heading), "{heading} missing");
    }
    assert_eq!(
        html.matches("class=\"predicted\"").count(),
        5 + 1,
        "a predicted bar per operation and the legend"
    );
    assert!(html.contains(
        "<th>Predicted</th><td>3.0s against 5.0s fully sequential: saves 2.0s (40%)</td>"
    ));
    assert!(html.contains("<th>Attempts</th><td>7 (2 retried)</td>"));
    assert!(html.contains("<th>Operations</th><td>5 (5 completed)</td>"));
    assert!(html.contains("<h2>Slowest operations</h2>"));
    let critical = html
        .split("<th>Critical path</th><td>")
        .nth(1)
        .and_then(|rest| rest.split("</td>").next())
        .expect("a critical path");
    assert!(
        critical.starts_with("setup → ") && critical.ends_with(" → last"),
        "{critical}"
    );
    assert!(html.contains("<g class=\"op critical\" data-operation=\"setup\">"));

    // Self-contained: no script, nothing that loads a stylesheet, image or frame. (Azure's error
    // texts quoted on hover may mention addresses; they are text, never fetched.)
    for forbidden in [
        "<script", "<link", "<img", "<iframe", "<object", "<image", "src=", "href=", "url(",
        "@import",
    ] {
        assert!(!html.contains(forbidden), "the page holds `{forbidden}`");
    }

    render_in_chromium(&deploy, &html, drawn.len());
}

#[test]
fn a_run_is_named_by_its_id_and_an_unknown_one_is_refused() {
    let deploy = deployment().env("AVDEPLOY_SIM_FAULTS", "");
    deploy
        .cmd(&["report"])
        .assert()
        .code(2)
        .stderr(contains("no run recorded"));
    let (code, stdout) = run_all(&deploy);
    assert_eq!(code, Some(0), "{stdout}");
    let status = deploy.json(&["status", "--json"]);
    let run_id = status["run"]["id"].as_str().expect("run id").to_owned();
    let (_, html) = report(&deploy, &[&run_id]);
    assert!(html.contains(&format!("<h1>Run {run_id}</h1>")));
    assert_eq!(bars(&html).len(), 5);
    deploy
        .cmd(&["report", "20000101-000000-1"])
        .assert()
        .code(2)
        .stderr(contains("no run `20000101-000000-1`").and(contains(run_id.as_str())));
    deploy.cmd(&["report"]).assert().success();
    assert!(
        deploy
            .path()
            .join(format!("artifacts/reports/{run_id}.html"))
            .is_file()
    );
}

/// The flags a headless Chromium needs on a machine without network or display.
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

fn chromium() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("chromium"))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "Chromium is not installed, so the report cannot be checked in a browser: \
             run scripts/test-setup.sh (it installs Debian's `chromium`), then the tests again"
        )
    })
}

fn run_chromium(profile: &Path, args: &[&str]) -> std::process::Output {
    let output = Command::new("timeout")
        .arg("120")
        .arg(chromium())
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("start chromium");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Loads the page in Chromium with a measuring script appended (the report itself has none),
/// reads every attempt bar's rendered width back from the DOM, and takes a screenshot.
fn render_in_chromium(deploy: &Deploy, html: &str, bars: usize) {
    let dir = deploy.path().join("browser");
    std::fs::create_dir_all(&dir).expect("browser dir");
    let measuring = html.replace(
        "</body>",
        "<script>\
         const widths = [...document.querySelectorAll('rect.attempt')].map(r => \
           r.closest('g.op').dataset.operation + '#' + r.dataset.attempt + '=' + \
           r.getBoundingClientRect().width.toFixed(2));\
         const pre = document.createElement('pre'); pre.id = 'measured';\
         pre.textContent = widths.join(' '); document.body.appendChild(pre);\
         </script></body>",
    );
    let page = dir.join("measure.html");
    std::fs::write(&page, measuring).expect("write measuring page");
    let dom = run_chromium(
        &dir.join("profile-dom"),
        &["--dump-dom", &format!("file://{}", page.display())],
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    let measured = dom
        .split("<pre id=\"measured\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("no measurements in the DOM:\n{dom}"));
    let widths: Vec<(&str, f64)> = measured
        .split_whitespace()
        .map(|item| {
            let (bar, width) = item.rsplit_once('=').expect("bar=width");
            (bar, width.parse().expect("a width"))
        })
        .collect();
    assert_eq!(widths.len(), bars, "every bar measured: {measured}");
    for (bar, width) in &widths {
        assert!(*width > 0.0, "the bar of {bar} rendered {width} px wide");
    }

    let report = dir.join("report.html");
    std::fs::write(&report, html).expect("write the report");
    let shot = dir.join("report.png");
    run_chromium(
        &dir.join("profile-shot"),
        &[
            "--window-size=1400,900",
            &format!("--screenshot={}", shot.display()),
            &format!("file://{}", report.display()),
        ],
    );
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(
        png.len() > 1000 && png.starts_with(b"\x89PNG"),
        "a PNG screenshot"
    );
}
