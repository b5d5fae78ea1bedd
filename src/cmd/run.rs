//! `avdeploy run`: plan the target, take the deployment lock, and execute the plan with every
//! reporter attached.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::base::fingerprint_key::FingerprintKey;
use crate::base::layout::Layout;
use crate::cli::{GlobalArgs, RunArgs};
use crate::cmd::checked;
use crate::cmd::preflight::{self, Preflight};
use crate::cmd::settings::ExecSettings;
use crate::error::Error;
use crate::exec::error_catalog::ErrorCatalog;
use crate::exec::inputs::Fingerprinter;
use crate::exec::launcher::Launcher;
use crate::exec::scheduler::{self, RunSettings};
use crate::exec::signal::Interrupt;
use crate::exit_code;
use crate::model::deployment::Deployment;
use crate::model::fingerprint::Fingerprint;
use crate::model::outcome::RunOutcome;
use crate::model::variables::Variables;
use crate::plan::coverage;
use crate::plan::freshness::Freshness;
use crate::plan::graph::{self, ModuleOrder, Plan, Target};
use crate::report::forecast::Forecast;
use crate::report::{Reporter, ReporterOptions};
use crate::simulator::{Backend, Session, Simulator};
use crate::state::{DeploymentLock, Recorder, StateDb};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// Runs `run`.
pub(crate) fn run(
    global: &GlobalArgs,
    args: &RunArgs,
    simulator: &dyn Simulator,
) -> Result<i32, Error> {
    let settings = ExecSettings::resolve(
        global,
        &args.exec,
        Some(&args.confirm),
        simulator,
        &|name| std::env::var(name).ok(),
        std::io::stdout().is_terminal(),
    )?;
    let deployment = checked::load_valid(global, false, crate::load::cache::CacheUse::Off)?;
    let target = Target::parse(&args.module, args.operation.as_deref());
    if args.sequential && target != Target::All {
        return Err(Error::Usage {
            message: "--sequential orders modules: it applies to `run all` only".to_owned(),
        });
    }
    let order = if args.sequential {
        ModuleOrder::Sequential
    } else {
        ModuleOrder::Dependencies
    };
    let plan = graph::build_ordered(&deployment, &target, order)?;
    let force = args.force || matches!(target, Target::Operation { .. });
    let var = |name: &str| std::env::var(name).ok();
    let planned = plan.ops.iter().map(|op| &*deployment.operations[op.index]);
    let preflight = Preflight::prove(&deployment, planned, &settings, &var)?;
    if let Some(preflight) = &preflight {
        let will_run = crate::cmd::plan::freshness_of(&deployment, &plan, force)?
            .iter()
            .filter(|fresh| !matches!(fresh, Freshness::UpToDate))
            .count();
        if !preflight.confirmed(will_run, settings.yes, "run")? {
            return Ok(exit_code::INVALID_INPUT);
        }
    }
    let lock = DeploymentLock::acquire(&deployment.layout.state_dir())?;
    let store = open_store(&deployment.layout, &lock, settings.grace)?;
    let environment = preflight::environment(preflight.as_ref());
    execute(&deployment, &plan, store, &settings, force, environment)
}

/// Executes `plan` with the state `store` (opened under the deployment lock, which the caller
/// holds until this returns), and returns the exit code. `force` re-runs operations completed
/// before; `environment` is added to every operation's (the preflight's CLI folder).
pub(crate) fn execute(
    deployment: &Deployment,
    plan: &Plan,
    store: StateDb,
    settings: &ExecSettings<'_>,
    force: bool,
    environment: Vec<(String, String)>,
) -> Result<i32, Error> {
    let root = &deployment.root;
    let completed_before = store.completed_operations()?;
    let (vars, secret_outputs) = known_variables(deployment, &store)?;
    let layout = &deployment.layout;
    let key = FingerprintKey::load_or_create(&layout.fingerprint_key())?;
    let fingerprinter = Fingerprinter::new(key, root, secret_outputs);
    let fingerprints = last_fingerprints(deployment, plan, &store, &fingerprinter, &vars)?;
    for path in layout.run_dirs() {
        std::fs::create_dir_all(&path).map_err(|source| Error::Io {
            action: "create",
            path,
            source,
        })?;
    }
    // The simulated Azure lives until the run ends (dropped after the scheduler returns).
    let session = start_session(layout, settings.simulator)?;
    let not_covered = session.as_deref().map_or_else(Default::default, |session| {
        coverage::not_covered(deployment, plan, &|script| session.not_covered(script))
    });
    announce_not_covered(plan, &not_covered, settings.simulator);
    let mut reporter = Reporter::new(
        ReporterOptions {
            tty: settings.tty,
            jsonl_path: layout.event_log(chrono::Local::now().date_naive()),
            logs_dir: layout.logs_shown(),
            painter: settings.painter,
            forecast: Some(Forecast::new(
                plan,
                settings.throttle(),
                settings.time_scale,
            )),
        },
        Some(Recorder::new(store)),
    )?;
    let mut launcher = Launcher {
        deployment,
        run_id: new_run_id(),
        extra_env: session
            .as_deref()
            .map(Session::environment)
            .unwrap_or_default()
            .into_iter()
            .chain(environment)
            .collect(),
        grace: settings.grace,
        retry_time_scale: settings.time_scale,
        session: session.as_deref(),
    };
    let settings = RunSettings {
        run_id: launcher.run_id.clone(),
        throttle: settings.throttle(),
        completed_before,
        force,
        catalog: Arc::new(catalog(root)?),
        fingerprints,
        fingerprinter: Some(fingerprinter),
        not_covered,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let mut report_error = None;
    let outcome = runtime.block_on(async {
        let (halt, interrupts) = halting(crate::exec::signal::interrupts()?);
        let mut on_event = |event| {
            if let Err(error) = reporter.handle(&event)
                && report_error.is_none()
            {
                // What cannot be recorded must not run: start nothing new, let the running
                // operations finish (their ends are recorded if space allows). The error is
                // returned, and shown, once the run has ended.
                eprintln!(
                    "[!] Starting nothing new: state and logs can no longer record what runs (the error follows when the running operations end)"
                );
                let _ = halt.send(Interrupt::First);
                report_error = Some(error);
            }
        };
        Ok::<_, Error>(
            scheduler::execute(
                plan,
                deployment,
                settings,
                vars,
                &mut launcher,
                interrupts,
                &mut on_event,
            )
            .await,
        )
    })?;
    let store = reporter.finish()?;
    if let Some(error) = report_error {
        return Err(error.into());
    }
    if plan.target == Target::Destroy
        && outcome == RunOutcome::Completed
        && let Some(store) = store
    {
        store.mark_destroyed(&launcher.run_id, chrono::Utc::now())?;
        println!("[v] Deployment destroyed: the next `avdeploy run` starts from nothing");
    }
    Ok(match outcome {
        RunOutcome::Completed => exit_code::SUCCESS,
        RunOutcome::Failed => exit_code::OPERATION_FAILED,
        RunOutcome::Interrupted => exit_code::INTERRUPTED,
    })
}

/// The variables operations start with: the deployment's, and the outputs published before
/// (state keeps secret ones only as `***`: those are returned apart, name to publishing
/// operation).
pub(crate) fn known_variables(
    deployment: &Deployment,
    store: &StateDb,
) -> Result<(Variables, BTreeMap<String, String>), Error> {
    let mut vars = deployment.variables.clone();
    let mut secret_outputs = BTreeMap::new();
    for output in store.outputs()? {
        if output.is_secret() {
            secret_outputs.insert(output.name, output.operation);
        } else {
            vars.insert_output(&output.operation, &output.name, &output.value);
        }
    }
    Ok((vars, secret_outputs))
}

/// The fingerprint of the last completed attempt of every operation. An operation completed
/// before fingerprints were recorded adopts the one it would have now: it counts as up to date
/// until its inputs change.
fn last_fingerprints(
    deployment: &Deployment,
    plan: &Plan,
    store: &StateDb,
    fingerprinter: &Fingerprinter,
    vars: &Variables,
) -> Result<HashMap<String, Fingerprint>, Error> {
    let stored = store.completed_fingerprints()?;
    let adopted: Vec<(String, Fingerprint)> = plan
        .ops
        .iter()
        .filter(|op| matches!(stored.get(&op.id), Some(None)))
        .map(|op| {
            let operation = &deployment.operations[op.index];
            (
                op.id.clone(),
                fingerprinter.fingerprint(operation, op, vars),
            )
        })
        .collect();
    store.adopt_fingerprints(&adopted)?;
    Ok(stored
        .into_iter()
        .filter_map(|(id, fingerprint)| Some((id, fingerprint?)))
        .chain(adopted)
        .collect())
}

/// The scheduler's interrupts: the signals, plus a sender with which the reporting side stops
/// new launches when it can no longer record them.
fn halting(
    mut signals: UnboundedReceiver<Interrupt>,
) -> (UnboundedSender<Interrupt>, UnboundedReceiver<Interrupt>) {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let forward = sender.clone();
    tokio::spawn(async move {
        while let Some(interrupt) = signals.recv().await {
            if forward.send(interrupt).is_err() {
                break;
            }
        }
    });
    (sender, receiver)
}

/// Opens the state for writing and stops what a dead engine left running, so an operation never
/// runs twice at once: a group that survives SIGKILL stays on record and nothing starts.
pub(crate) fn open_store(
    layout: &Layout,
    lock: &DeploymentLock,
    grace: Duration,
) -> Result<StateDb, Error> {
    let mut store = StateDb::open(layout, lock)?;
    for notice in store.notices() {
        eprintln!("{notice}");
    }
    let interrupts = crate::exec::signal::EarlyInterrupts::install();
    let cleanup = crate::exec::orphans::stop(store.recovered(), grace, &|| interrupts.count());
    drop(interrupts);
    for line in &cleanup.lines {
        eprintln!("{line}");
    }
    store.forget_orphans(&cleanup.gone)?;
    if cleanup.interrupted {
        return Err(Error::Interrupted);
    }
    if let Some(orphan) = cleanup.alive.first() {
        return Err(Error::OrphanAlive {
            operation: orphan.operation.clone(),
            pid: orphan.pid,
        });
    }
    Ok(store)
}

/// The built-in error catalog, extended by the deployment's `errors.yaml` when present.
pub(crate) fn catalog(root: &Path) -> Result<ErrorCatalog, Error> {
    let path = root.join("errors.yaml");
    Ok(if path.is_file() {
        ErrorCatalog::with_file(&path)?
    } else {
        ErrorCatalog::builtin()
    })
}

/// A run id that sorts by time: `YYYYmmdd-HHMMSS-<pid>`.
fn new_run_id() -> String {
    format!(
        "{}-{}",
        chrono::Local::now().format("%Y%m%d-%H%M%S"),
        std::process::id()
    )
}

/// With `--simulate`: the simulated Azure for this run, whose subscription lives in
/// `.avdeploy[/<env>]/sim`.
fn start_session(
    layout: &Layout,
    simulator: Option<(&dyn Simulator, Backend)>,
) -> Result<Option<Box<dyn Session>>, Error> {
    let Some((simulator, backend)) = simulator else {
        return Ok(None);
    };
    let sim_dir = std::path::absolute(layout.sim_dir()).map_err(|source| Error::Io {
        action: "resolve",
        path: layout.root().to_path_buf(),
        source,
    })?;
    Ok(Some(simulator.start(backend, &sim_dir)?))
}

/// Says, module by module, which operations the simulated Azure does not cover: they are
/// skipped, and the run is no proof of them.
fn announce_not_covered(
    plan: &Plan,
    not_covered: &std::collections::BTreeMap<String, String>,
    simulator: Option<(&dyn Simulator, Backend)>,
) {
    let Some((_, backend)) = simulator else {
        return;
    };
    if not_covered.is_empty() {
        return;
    }
    println!(
        "[!] Not covered by --simulate={}: {} skipped",
        backend.name(),
        crate::base::text::plural(not_covered.len(), "operation")
    );
    for module in &plan.modules {
        let ids: Vec<String> = module
            .stages
            .iter()
            .flat_map(|stage| &stage.ops)
            .map(|&i| &plan.ops[i].id)
            .filter_map(|id| not_covered.get(id).map(|why| format!("{id} ({why})")))
            .collect();
        if !ids.is_empty() {
            println!("    {}: {}", module.id, ids.join(", "));
        }
    }
}
