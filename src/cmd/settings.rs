//! The one resolver of a run's settings: the arguments and the environment that `run`, `resume`
//! and `destroy` share, turned into [`ExecSettings`] once, before anything is read or written.

use std::time::Duration;

use crate::cli::{ConfirmArgs, ExecArgs, GlobalArgs, Simulate};
use crate::error::Error;
use crate::report::color::Painter;
use crate::simulator::{Backend, Simulator};

/// The environment variable that sets the grace period between SIGTERM and SIGKILL.
pub(crate) const KILL_GRACE_VAR: &str = "AVDEPLOY_KILL_GRACE_SECONDS";

/// The grace period between SIGTERM and SIGKILL when none is configured.
pub(crate) const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(5);

/// The longest grace period accepted: a stopped operation is killed within the hour.
pub(crate) const MAX_KILL_GRACE: Duration = Duration::from_secs(3600);

/// How many operations run at once when `--throttle` is not given (and no resumed run says).
pub(crate) const DEFAULT_THROTTLE: usize = 5;

/// How a command executes operations, resolved from its arguments and the environment.
#[derive(Clone, Copy)]
pub(crate) struct ExecSettings<'a> {
    /// `--throttle` when given; see [`ExecSettings::throttle`].
    pub throttle: Option<usize>,
    /// Run against this simulated Azure (and backend of it) instead of the real Azure.
    pub simulator: Option<(&'a dyn Simulator, Backend)>,
    /// Real seconds per Azure second for retry waits and expected times: the simulator's clock
    /// under `--simulate`, else 1.
    pub time_scale: f64,
    /// Time between SIGTERM and SIGKILL when an operation is stopped.
    pub grace: Duration,
    /// Whether standard output is a terminal (live progress instead of lines).
    pub tty: bool,
    /// How console lines are coloured.
    pub painter: Painter,
    /// `--yes`: proceed without asking.
    pub yes: bool,
}

impl<'a> ExecSettings<'a> {
    /// Resolves the settings from the command's arguments (`confirm` for the commands that ask
    /// first), the environment that `var` reads, and whether standard output is a terminal.
    /// A bad value is a usage error (exit 2) naming its source.
    pub(crate) fn resolve(
        global: &GlobalArgs,
        exec: &ExecArgs,
        confirm: Option<&ConfirmArgs>,
        simulator: &'a dyn Simulator,
        var: &dyn Fn(&str) -> Option<String>,
        tty: bool,
    ) -> Result<Self, Error> {
        let simulator = Simulate::backend(exec.simulate).map(|backend| (simulator, backend));
        let time_scale = match simulator {
            Some((simulator, _)) => simulator.time_scale(var)?,
            None => 1.0,
        };
        let no_color = var("NO_COLOR");
        let term = var("TERM");
        Ok(Self {
            throttle: exec.throttle.map(usize::from),
            simulator,
            time_scale,
            grace: kill_grace(var(KILL_GRACE_VAR).as_deref())?,
            tty,
            painter: Painter::new(
                global
                    .color
                    .enabled(tty, no_color.as_deref(), term.as_deref()),
            ),
            yes: confirm.is_some_and(|confirm| confirm.yes),
        })
    }

    /// How many operations may run at once: `--throttle`, else [`DEFAULT_THROTTLE`].
    pub(crate) fn throttle(&self) -> usize {
        self.throttle.unwrap_or(DEFAULT_THROTTLE)
    }
}

/// The time between SIGTERM and SIGKILL: the value of `AVDEPLOY_KILL_GRACE_SECONDS` (fractions
/// allowed, at most [`MAX_KILL_GRACE`]) when set, else [`DEFAULT_KILL_GRACE`].
fn kill_grace(text: Option<&str>) -> Result<Duration, Error> {
    let Some(text) = text else {
        return Ok(DEFAULT_KILL_GRACE);
    };
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .filter(|grace| *grace <= MAX_KILL_GRACE)
        .ok_or_else(|| Error::Usage {
            message: format!(
                "{KILL_GRACE_VAR} must be a number of seconds from 0 to {} (for example 5 or 0.5), not `{text}`",
                MAX_KILL_GRACE.as_secs()
            ),
        })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::report::color::ColorChoice;
    use crate::simulator::{Session, SimulatorError};

    /// A simulator whose clock is the environment's `CLOCK`: enough to see what the resolver
    /// asks of it.
    struct Clocked;

    impl Simulator for Clocked {
        fn command(&self) -> clap::Command {
            clap::Command::new("sim")
        }

        fn execute(&self, _: &clap::ArgMatches, _: &Path) -> Result<(), SimulatorError> {
            Err(refused())
        }

        fn start(&self, _: Backend, _: &Path) -> Result<Box<dyn Session>, SimulatorError> {
            Err(refused())
        }

        fn time_scale(&self, var: &dyn Fn(&str) -> Option<String>) -> Result<f64, SimulatorError> {
            var("CLOCK")
                .unwrap_or_else(|| "1".to_owned())
                .parse()
                .map_err(|_| SimulatorError {
                    invalid_input: true,
                    error: "CLOCK is no number".into(),
                })
        }
    }

    fn refused() -> SimulatorError {
        SimulatorError {
            invalid_input: false,
            error: "a resolver never starts the simulator".into(),
        }
    }

    fn global(color: ColorChoice) -> GlobalArgs {
        GlobalArgs {
            dir: PathBuf::from("."),
            config: PathBuf::from("config.yaml"),
            color,
            no_cache: false,
        }
    }

    fn resolve<'a>(
        exec: &ExecArgs,
        confirm: Option<&ConfirmArgs>,
        env: &[(&str, &str)],
        simulator: &'a Clocked,
    ) -> Result<ExecSettings<'a>, Error> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ExecSettings::resolve(
            &global(ColorChoice::Auto),
            exec,
            confirm,
            simulator,
            &|name| env.get(name).cloned(),
            true,
        )
    }

    const REAL_AZURE: ExecArgs = ExecArgs {
        throttle: None,
        simulate: None,
    };

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        let settings = resolve(&REAL_AZURE, None, &[], &Clocked).unwrap();
        assert_eq!(settings.throttle(), DEFAULT_THROTTLE);
        assert_eq!(settings.grace, DEFAULT_KILL_GRACE);
        assert!(settings.simulator.is_none());
        assert!((settings.time_scale - 1.0).abs() < f64::EPSILON);
        assert!(settings.painter.enabled());
        assert!(!settings.yes);
    }

    #[test]
    fn arguments_and_environment_are_read() {
        let exec = ExecArgs {
            throttle: Some(2),
            simulate: Some(Simulate(Some(Backend::Shim))),
        };
        let settings = resolve(
            &exec,
            Some(&ConfirmArgs { yes: true }),
            &[
                (KILL_GRACE_VAR, " 0.5 "),
                ("CLOCK", "0.01"),
                ("NO_COLOR", "1"),
            ],
            &Clocked,
        )
        .unwrap();
        assert_eq!(settings.throttle(), 2);
        assert_eq!(settings.grace, Duration::from_millis(500));
        assert_eq!(settings.simulator.map(|(_, b)| b), Some(Backend::Shim));
        assert!((settings.time_scale - 0.01).abs() < f64::EPSILON);
        assert!(!settings.painter.enabled());
        assert!(settings.yes);
    }

    #[test]
    fn the_simulator_clock_is_read_only_under_simulate() {
        let settings = resolve(&REAL_AZURE, None, &[("CLOCK", "soon")], &Clocked).unwrap();
        assert!((settings.time_scale - 1.0).abs() < f64::EPSILON);
        let simulated = ExecArgs {
            throttle: None,
            simulate: Some(Simulate(Some(Backend::Shim))),
        };
        let Err(error) = resolve(&simulated, None, &[("CLOCK", "soon")], &Clocked) else {
            panic!("a simulator clock that is no number was accepted");
        };
        assert_eq!(error.exit_code(), crate::exit_code::INVALID_INPUT);
    }

    #[test]
    fn a_grace_period_that_is_no_number_or_too_long_is_refused() {
        for text in ["soon", "-1", "NaN", "inf", "3601", "1e300"] {
            let error = resolve(&REAL_AZURE, None, &[(KILL_GRACE_VAR, text)], &Clocked)
                .err()
                .unwrap_or_else(|| panic!("{text} accepted"));
            assert_eq!(error.exit_code(), crate::exit_code::INVALID_INPUT);
            assert!(error.to_string().contains(KILL_GRACE_VAR), "{error}");
        }
        let settings = resolve(&REAL_AZURE, None, &[(KILL_GRACE_VAR, "3600")], &Clocked).unwrap();
        assert_eq!(settings.grace, MAX_KILL_GRACE);
    }
}
