//! Live progress and colour on a real pseudo-terminal, read back as the screen a user sees:
//! a bar per running operation and an overall line while the run goes on, a clean screen after
//! it ends (also after a failure or Ctrl-C), and no colour codes under `NO_COLOR`.

#[path = "common/deploy.rs"]
mod deploy;
#[path = "common/pty.rs"]
mod pty;

use std::time::Duration;

use deploy::{Deploy, bash_op, module_yaml};
use pty::{Pty, has_sgr, screen_of};

const CONFIG: &str = "app:\n  name: \"demo\"\n";
const LIMIT: Duration = Duration::from_secs(60);

/// Module `m`: `slow` and `quick` in one parallel group, then `last`. `slow` reports progress
/// and runs until the file `release` appears (or 20 s pass).
fn deployment(slow_expected: u64, last_body: &str) -> Deploy {
    let slow = "echo \"[PROGRESS] copying the image\"\nfor _ in $(seq 1000); do [ -e release ] && break; sleep 0.02; done";
    let slow_op =
        bash_op("slow", 1200, slow).replace("expected: 1,", &format!("expected: {slow_expected},"));
    Deploy::new()
        .config(CONFIG)
        .module(
            "m",
            &module_yaml(
                "m",
                &[("slow", Some(1)), ("quick", Some(1)), ("last", None)],
            ),
        )
        .operation("m", "slow", &slow_op)
        .operation("m", "quick", &bash_op("quick", 30, "true"))
        .operation("m", "last", &bash_op("last", 30, last_body))
}

/// `avdeploy <args>` on a terminal, with `env` set.
fn spawn(deploy: &Deploy, args: &[&str], env: &[(&str, &str)]) -> Pty {
    let mut cmd = deploy.std_cmd(args);
    cmd.env("TERM", "xterm-256color").env_remove("NO_COLOR");
    for (name, value) in env {
        cmd.env(name, value);
    }
    Pty::spawn(cmd)
}

fn bar_of<'a>(screen: &'a [String], op: &str) -> Option<&'a String> {
    let name = format!(" {op} ");
    screen
        .iter()
        .find(|row| row.contains(&name) && (row.contains("[#") || row.contains("[-")))
}

fn has_overall_line(screen: &[String]) -> bool {
    screen
        .iter()
        .any(|row| row.contains("/3 done]") && row.contains("elapsed, ETA ~"))
}

/// Rows that only a live bar draws: a gauge or the overall line.
fn bar_rows(screen: &[String]) -> Vec<&String> {
    screen
        .iter()
        .filter(|row| row.contains("[#") || row.contains("[--") || row.contains("done] "))
        .collect()
}

#[test]
fn a_terminal_shows_a_bar_per_running_operation_and_a_clean_screen_after() {
    let deploy = deployment(60, "true");
    let mut pty = spawn(&deploy, &["run", "m"], &[("NO_COLOR", "1")]);
    let (seen, screen) = pty.wait_for_screen(LIMIT, |screen| {
        bar_of(screen, "slow").is_some_and(|bar| bar.contains("copying the image"))
            && has_overall_line(screen)
    });
    assert!(
        seen,
        "no bar for `slow` with its message:\n{}",
        screen.join("\n")
    );
    let bar = bar_of(&screen, "slow").expect("bar");
    assert!(
        bar.contains(" / 1m"),
        "the gauge names the expected time: {bar}"
    );
    std::fs::write(deploy.path().join("release"), "").expect("release");
    let (code, raw) = pty.finish(LIMIT);
    assert_eq!(code, Some(0));
    assert!(!has_sgr(&raw), "colour codes despite NO_COLOR=1");
    let screen = screen_of(&raw);
    assert!(
        bar_rows(&screen).is_empty(),
        "bars left behind:\n{}",
        screen.join("\n")
    );
    let text = screen.join("\n");
    assert_eq!(text.matches("[*] Module m").count(), 1, "{text}");
    assert!(
        text.contains("[v] Operation slow completed successfully"),
        "{text}"
    );
    assert!(
        text.contains("[v] All parallel operations completed successfully"),
        "{text}"
    );
}

#[test]
fn colour_on_a_terminal_unless_no_color_or_never() {
    let deploy = deployment(1, "exit 3");
    std::fs::write(deploy.path().join("release"), "").expect("release");
    let (code, raw) = spawn(&deploy, &["run", "m"], &[]).finish(LIMIT);
    assert_eq!(code, Some(1));
    assert!(has_sgr(&raw), "no colour on a terminal");
    let screen = screen_of(&raw);
    assert!(
        bar_rows(&screen).is_empty(),
        "bars left behind after a failure:\n{}",
        screen.join("\n")
    );
    assert!(
        screen
            .join("\n")
            .contains("[x] Operation last failed (exit code: 3)")
    );
    let (_, raw) = spawn(&deploy, &["--color", "never", "run", "m", "--force"], &[]).finish(LIMIT);
    assert!(!has_sgr(&raw), "colour despite --color never");
    // Not a terminal: plain lines unless asked for colour.
    let plain = deploy.cmd(&["run", "m", "--force"]).output().expect("run");
    assert!(!has_sgr(&plain.stdout));
    let forced = deploy
        .cmd(&["--color", "always", "run", "m", "--force"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    assert!(has_sgr(&forced.stdout), "--color always colours a pipe");
}

#[test]
fn ctrl_c_leaves_no_bar_behind() {
    let deploy = deployment(60, "true");
    let mut pty = spawn(&deploy, &["run", "m"], &[]);
    let (seen, screen) = pty.wait_for_screen(LIMIT, |screen| bar_of(screen, "slow").is_some());
    assert!(seen, "no bar:\n{}", screen.join("\n"));
    // A `^C` echoed behind the last bar would push the bars down unnoticed.
    assert!(
        !pty.echoes_control_chars(),
        "control characters echo under the bars"
    );
    pty.type_bytes(b"\x03");
    let (seen, screen) = pty.wait_for_screen(LIMIT, |screen| {
        screen.iter().any(|row| row.contains("Interrupt received"))
    });
    assert!(
        seen,
        "the interrupt was not acknowledged:\n{}",
        screen.join("\n")
    );
    std::fs::write(deploy.path().join("release"), "").expect("release");
    let (code, raw) = pty.finish(LIMIT);
    assert_eq!(code, Some(130));
    let screen = screen_of(&raw);
    assert!(
        bar_rows(&screen).is_empty(),
        "bars left behind after Ctrl-C:\n{}",
        screen.join("\n")
    );
    assert!(
        pty.echoes_control_chars(),
        "the terminal's echo was not restored"
    );
}

#[test]
fn under_the_simulator_gauges_follow_its_clock() {
    // 600 expected seconds at 0.005 real seconds each: the gauge expects 3 s, not 10 minutes.
    let deploy = deployment(600, "true").env("AVDEPLOY_SIM_TIME_SCALE", "0.005");
    let mut pty = spawn(&deploy, &["run", "m", "--simulate"], &[("NO_COLOR", "1")]);
    let (seen, screen) = pty.wait_for_screen(LIMIT, |screen| {
        bar_of(screen, "slow").is_some_and(|bar| bar.contains("[#") && bar.contains(" / 3s"))
    });
    assert!(
        seen,
        "the gauge does not fill against 3 s:\n{}",
        screen.join("\n")
    );
    std::fs::write(deploy.path().join("release"), "").expect("release");
    let (code, _) = pty.finish(LIMIT);
    assert_eq!(code, Some(0));
}

#[test]
fn validate_findings_are_coloured_on_a_terminal_only_without_no_color() {
    let deploy = Deploy::new()
        .config(CONFIG)
        .module("m", &module_yaml("m", &[("a", None)]))
        .operation(
            "m",
            "a",
            &bash_op("a", 30, "true").replace("timeout:", "timeuot:"),
        );
    let (code, raw) = spawn(&deploy, &["validate"], &[]).finish(LIMIT);
    assert_eq!(code, Some(2));
    assert!(has_sgr(&raw), "no colour on a terminal");
    let (code, raw) = spawn(&deploy, &["validate"], &[("NO_COLOR", "1")]).finish(LIMIT);
    assert_eq!(code, Some(2));
    assert!(!has_sgr(&raw), "colour codes despite NO_COLOR=1");
    assert!(screen_of(&raw).join("\n").contains("timeuot"));
}
