//! The generic resource verbs every catalog family answers: create (and set), show, list,
//! update, delete, exists and wait.

use serde_json::{Value, json};

use crate::call::{Call, Exclusive, Outcome};
use crate::catalog::Family;
use crate::clock;
use crate::compute;
use crate::failure::AzFailure;
use crate::query::Query;
use crate::resource::{Address, merge_flags, new_body};
use crate::shapes;
use crate::update_args;

/// Answers `az <family> <verb>`.
pub fn handle(call: &mut Call, family: &'static Family, verb: &str) -> Outcome {
    match verb {
        "create" | "set" => create(call, family),
        "delete" => delete(call, family),
        "exists" => exists(call, family),
        "list" => list(call, family),
        "update" => update(call, family),
        "wait" => wait(call, family),
        _ => show(call, family),
    }
}

fn create(call: &mut Call, family: &'static Family) -> Outcome {
    let address = Address::from_args(family, &call.args)?;
    let location = match (call.args.get("--location"), family.fixed_location) {
        (Some(given), _) => given.to_owned(),
        (None, _) if family.path == "group" => call.args.require("--location")?.to_owned(),
        (None, Some(fixed)) => fixed.to_owned(),
        (None, None) => call.group_location(&address.rg)?,
    };
    if family.path != "group" {
        call.group_location(&address.rg)?;
    }
    if let Some(parent) = address.parent_address() {
        call.existing(&parent)?;
    }
    let seconds = f64::from(family.write_seconds);
    let exclusive = vnet_exclusive(call, family, &address);
    call.write(seconds, exclusive, |call| {
        let (mut body, creating) = match call.store.get(&address.key())? {
            Some(record) => {
                let mut body = record.body;
                if !crate::catalog::is_shaped(family.path) {
                    merge_flags(&mut body, &address, &call.args);
                }
                (body, false)
            }
            None => (
                new_body(&address, &call.args, &call.settings.subscription, &location),
                true,
            ),
        };
        shapes::after_write(call, &address, &mut body, creating)?;
        call.store.put(&address.record(body.clone()))?;
        shapes::create_output(call, &address, &body)
    })
}

fn show(call: &mut Call, family: &'static Family) -> Outcome {
    let address = Address::from_args(family, &call.args)?;
    call.read_delay();
    let body = call.existing(&address)?;
    shapes::view(call, &address, &body)
}

fn list(call: &mut Call, family: &'static Family) -> Outcome {
    let rg = call.args.get("--resource-group").map(str::to_lowercase);
    let parents: Vec<String> = family.chain[..family.chain.len() - 1]
        .iter()
        .map(|s| match s.flag.strip_prefix('=') {
            Some(fixed) => Ok(fixed.to_owned()),
            None => call.args.require(s.flag).map(str::to_owned),
        })
        .collect::<Result<_, _>>()?;
    let parent = (!parents.is_empty()).then(|| parents.join("/").to_lowercase());
    call.read_delay();
    let records = call
        .store
        .list(family.path, rg.as_deref(), parent.as_deref())?;
    let mut items = Vec::new();
    for record in records {
        let mut names = parents.clone();
        names.push(record.name.clone());
        let rg = record.body["resourceGroup"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let address = Address { family, rg, names };
        items.push(shapes::view(call, &address, &record.body)?);
    }
    Ok(Value::Array(items))
}

fn update(call: &mut Call, family: &'static Family) -> Outcome {
    let address = Address::from_args(family, &call.args)?;
    call.existing(&address)?;
    let seconds = f64::from(family.write_seconds) / 2.0;
    let exclusive = vnet_exclusive(call, family, &address);
    call.write(seconds, exclusive, |call| {
        let mut body = call.existing(&address)?;
        if !crate::catalog::is_shaped(family.path) {
            merge_flags(&mut body, &address, &call.args);
        }
        shapes::after_write(call, &address, &mut body, false)?;
        update_args::apply(&mut body, &call.args)?;
        crate::special::registration_info(call, &address, &mut body)?;
        call.store.put(&address.record(body.clone()))?;
        shapes::view(call, &address, &body)
    })
}

fn delete(call: &mut Call, family: &'static Family) -> Outcome {
    let address = Address::from_args(family, &call.args)?;
    let prompts = matches!(family.path, "group" | "vm" | "disk")
        || (family.path.starts_with("desktopvirtualization ")
            && family.path != "desktopvirtualization sessionhost");
    if prompts && !call.args.has("--yes") {
        return Err(AzFailure::service_plain(
            "Unable to prompt for confirmation as no tty available. Use --yes.",
        )
        .into());
    }
    if family.path == "group" {
        call.existing(&address)?;
    }
    compute::check_detached(call, &address)?;
    let seconds = f64::from(family.write_seconds) / 2.0;
    let exclusive = vnet_exclusive(call, family, &address);
    call.write(seconds, exclusive, |call| {
        if let Some(record) = call.store.get(&address.key())? {
            if family.path == "vm" {
                compute::release_dependents(call, &record.body)?;
            }
            delete_children(call, &address)?;
        }
        call.store.delete(&address.key())?;
        if family.path == "group" {
            call.store
                .delete_group_contents(&address.name().to_lowercase())?;
        }
        Ok(Value::Null)
    })
}

/// Child resources go with their parent (a VNet's subnets, a host pool's session hosts).
fn delete_children(call: &mut Call, address: &Address) -> Result<(), crate::error::SimError> {
    let prefix = address.names.join("/").to_lowercase();
    let rg = address.rg.to_lowercase();
    for record in call.store.all()? {
        let nested = record.parent == prefix || record.parent.starts_with(&format!("{prefix}/"));
        let below = record
            .family
            .starts_with(&format!("{} ", address.family.path));
        if record.rg == rg && nested && below {
            call.store.delete(&record.key)?;
        }
    }
    Ok(())
}

fn exists(call: &mut Call, family: &'static Family) -> Outcome {
    let address = Address::from_args(family, &call.args)?;
    call.read_delay();
    Ok(json!(call.store.get(&address.key())?.is_some()))
}

/// `wait --created|--exists|--updated|--deleted|--custom Q [--timeout S] [--interval S]`: polls
/// the store until the condition holds or the (simulated) timeout passes.
fn wait(call: &mut Call, family: &'static Family) -> Outcome {
    let address = Address::from_args(family, &call.args)?;
    let conditions = [
        "--created",
        "--updated",
        "--deleted",
        "--exists",
        "--custom",
    ];
    if !conditions.iter().any(|c| call.args.has(c)) {
        return Err(AzFailure::service_plain(
            "incorrect usage: --created | --updated | --deleted | --exists | --custom JMESPATH",
        )
        .into());
    }
    let custom = call.args.get("--custom").map(Query::compile).transpose()?;
    let number = |flag: &str, default: f64| {
        call.args
            .get(flag)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(default)
    };
    let timeout = clock::scaled(number("--timeout", 3600.0), call.settings.time_scale);
    let interval = clock::scaled(number("--interval", 30.0), call.settings.time_scale)
        .max(std::time::Duration::from_millis(20));
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let mut body = call.store.get(&address.key())?.map(|r| r.body);
        if family.path == "vm"
            && let Some(body) = &mut body
        {
            body["instanceView"] = crate::guest::instance_view(&address, body);
        }
        let done = match (&body, &custom) {
            (None, _) => call.args.has("--deleted"),
            (Some(body), Some(query)) => truthy(&query.apply(body)?),
            (Some(_), None) => !call.args.has("--deleted"),
        };
        if done {
            return Ok(Value::Null);
        }
        if std::time::Instant::now() >= deadline {
            return Err(AzFailure::service_plain(
                "Wait operation timed-out after the given timeout.",
            )
            .into());
        }
        std::thread::sleep(interval);
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Number(_) => true,
    }
}

fn vnet_exclusive(call: &Call, family: &Family, address: &Address) -> Option<Exclusive> {
    let vnet = call.args.get(family.vnet_flag?)?;
    Some(Exclusive::Vnet(
        format!("vnet:{}/{vnet}", address.rg).to_lowercase(),
    ))
}
