//! Template deployments (`PUT …/providers/Microsoft.Resources/deployments/{name}`), as `az vm
//! create` sends them: the template's resources are evaluated, ordered by `dependsOn`, checked
//! and stored like PUTs, and the deployment runs as one long-running operation whose duration
//! is the critical path of its resources' durations.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::arm_id::{self, ResourceRef};
use crate::durations;
use crate::exchange::{Request, Response};
use crate::faults::Injected;
use crate::lro::{Outcome, Polling};
use crate::template::{Scope, TemplateError};
use crate::views::{missing, operation_urls, view};
use crate::world::World;

/// Resources in one template are refused past this count.
const MAX_RESOURCES: usize = 800;

/// Keys of a template resource that describe the deployment, not the resource.
const TEMPLATE_KEYS: &[&str] = &[
    "apiVersion",
    "comments",
    "condition",
    "copy",
    "dependsOn",
    "name",
    "type",
];

/// One evaluated template resource.
struct Planned {
    reference: ResourceRef,
    body: Map<String, Value>,
    depends_on: Vec<String>,
}

/// Answers the PUT of a deployment.
pub(crate) fn put(
    world: &mut World,
    request: &Request,
    deployment: &ResourceRef,
    fault: Option<Injected>,
) -> Response {
    let body = match request.json() {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let Some(group) = deployment.group.clone() else {
        return invalid_template("deployments are emulated at resource group scope only");
    };
    let group_ref = arm_id::group_ref(&deployment.subscription, &group);
    let Some(location) = world
        .store
        .get(&group_ref.id)
        .and_then(|g| g["location"].as_str())
        .map(str::to_owned)
    else {
        return missing(world, &group_ref);
    };
    let properties = &body["properties"];
    let Some(template) = properties["template"].as_object() else {
        return invalid_template(
            "the deployment has no inline template (templateLink is not emulated)",
        );
    };
    let parameters = match parameter_values(template, &properties["parameters"]) {
        Ok(values) => values,
        Err(refused) => return refused,
    };
    let planned = match plan(world, template, &parameters, &group, &location) {
        Ok(planned) => planned,
        Err(TemplateError(message)) => return invalid_template(&message),
    };
    let ordered = match order(planned) {
        Ok(ordered) => ordered,
        Err(TemplateError(message)) => return invalid_template(&message),
    };
    let mut finish: HashMap<String, f64> = HashMap::new();
    let mut outputs = Vec::new();
    let mut failure = None;
    for item in &ordered {
        let started = item
            .depends_on
            .iter()
            .filter_map(|d| finish.get(d))
            .fold(0.0_f64, |a, b| a.max(*b));
        let created = world.store.get(&item.reference.id).is_none();
        let seconds = f64::from(durations::write_seconds(&item.reference.type_name).unwrap_or(0));
        let seconds = if created { seconds } else { seconds / 2.0 };
        finish.insert(item.reference.id.to_ascii_lowercase(), started + seconds);
        let stored = crate::resources::prepare(
            world,
            &item.reference,
            Value::Object(item.body.clone()),
            false,
            None,
        )
        .map(|(next, _)| crate::resources::commit(world, &item.reference, next));
        match stored {
            Ok(Ok(_)) => outputs.push(json!({"id": item.reference.id})),
            Ok(Err(refused)) | Err(refused) => {
                failure = Some(resource_failure(&item.reference, &refused));
                break;
            }
        }
    }
    let seconds = finish.values().fold(0.0_f64, |a, b| a.max(*b));
    let duration = avdeploy_sim::clock::scaled(seconds, world.config.time_scale);
    if let Some(Injected::FailOperation(code, message)) = fault {
        failure = Some(json!({"code": code, "message": message}));
    }
    let state = if failure.is_some() {
        "Failed"
    } else {
        "Succeeded"
    };
    let record = json!({
        "id": deployment.id,
        "name": deployment.name,
        "type": "Microsoft.Resources/deployments",
        "location": null,
        "properties": {
            "provisioningState": state,
            "mode": properties["mode"].as_str().unwrap_or("Incremental"),
            "timestamp": avdeploy_sim::clock::iso_now(),
            "duration": format!("PT{seconds}S"),
            "correlationId": crate::ids::guid(),
            "parameters": shown_parameters(template, &parameters),
            "outputs": {},
            "outputResources": outputs,
            "dependencies": [],
            "error": failure.clone(),
        },
    });
    world.store.put(record.clone());
    if let Err(refused) = world.save() {
        return refused;
    }
    let outcome = match failure {
        None => Outcome::Succeeded(Some(view(world, &record))),
        Some(inner) => Outcome::Failed {
            code: "DeploymentFailed".to_owned(),
            message: "At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.".to_owned(),
            details: vec![inner],
        },
    };
    let op = world.operations.start(duration, outcome);
    for item in &ordered {
        world.pending.insert(
            item.reference.id.to_ascii_lowercase(),
            (op.clone(), "Creating"),
        );
    }
    world
        .pending
        .insert(deployment.id.to_ascii_lowercase(), (op.clone(), "Running"));
    let mut accepted = view(world, &record);
    accepted["properties"]["provisioningState"] = json!("Accepted");
    let urls = operation_urls(world, request, deployment);
    world.operations.accepted(
        Response::json(201, accepted),
        &op,
        &urls,
        Polling::AsyncOperation,
    )
}

/// The values of the template's parameters: given ones, else their defaults.
fn parameter_values(
    template: &Map<String, Value>,
    given: &Value,
) -> Result<Map<String, Value>, Response> {
    let mut values = Map::new();
    let declared = template.get("parameters").and_then(Value::as_object);
    for (name, declaration) in declared.into_iter().flatten() {
        let value = given[name]["value"].clone();
        let value = if value.is_null() {
            declaration["defaultValue"].clone()
        } else {
            value
        };
        if value.is_null() {
            return Err(invalid_template(&format!(
                "The value for the template parameter '{name}' is not provided. Please see https://aka.ms/arm-create-parameter-file for usage details."
            )));
        }
        values.insert(name.clone(), value);
    }
    Ok(values)
}

/// Parameters as a deployment shows them: secure ones by type only.
fn shown_parameters(template: &Map<String, Value>, values: &Map<String, Value>) -> Value {
    let declared = template.get("parameters").and_then(Value::as_object);
    let mut shown = Map::new();
    for (name, value) in values {
        let kind = declared
            .and_then(|d| d[name]["type"].as_str())
            .unwrap_or("String");
        let entry = if kind.to_ascii_lowercase().starts_with("secure") {
            json!({"type": kind})
        } else {
            json!({"type": kind, "value": value})
        };
        shown.insert(name.clone(), entry);
    }
    Value::Object(shown)
}

/// Evaluates every resource of the template.
fn plan(
    world: &World,
    template: &Map<String, Value>,
    parameters: &Map<String, Value>,
    group: &str,
    location: &str,
) -> Result<Vec<Planned>, TemplateError> {
    let empty = Map::new();
    let variables = template
        .get("variables")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let lookup = |id: &str| world.store.get(id).map(|r| view(world, r));
    let scope = Scope {
        parameters,
        variables,
        subscription: &world.config.subscription_id,
        group,
        location,
        lookup: &lookup,
    };
    let resources = template
        .get("resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if resources.len() > MAX_RESOURCES {
        return Err(TemplateError(format!(
            "The template has more than {MAX_RESOURCES} resources."
        )));
    }
    let mut planned = Vec::new();
    for raw in &resources {
        if raw.get("copy").is_some() {
            return Err(TemplateError(
                "Resource copy loops are not emulated.".into(),
            ));
        }
        if let Some(condition) = raw.get("condition")
            && scope.resolve(condition)? == json!(false)
        {
            continue;
        }
        let mut resolved = Map::new();
        for (key, value) in raw.as_object().into_iter().flatten() {
            if key != "dependsOn" {
                resolved.insert(key.clone(), scope.resolve(value)?);
            }
        }
        let kind = resolved
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let name = resolved
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut id_args = vec![json!(kind)];
        id_args.extend(name.split('/').map(|n| json!(n)));
        let id = scope.resolve(&json!(format!(
            "[resourceId({})]",
            id_args
                .iter()
                .map(|a| format!("'{}'", a.as_str().unwrap_or_default().replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(", ")
        )))?;
        let reference = id.as_str().and_then(arm_id::resource).ok_or_else(|| {
            TemplateError(format!("The resource '{kind}/{name}' has no valid id."))
        })?;
        let depends_on = raw["dependsOn"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                let resolved = scope.resolve(d)?;
                let text = resolved.as_str().unwrap_or_default().to_owned();
                Ok(if text.starts_with("/subscriptions/") {
                    text.to_ascii_lowercase()
                } else {
                    text
                })
            })
            .collect::<Result<Vec<String>, TemplateError>>()?;
        for key in TEMPLATE_KEYS {
            resolved.remove(*key);
        }
        planned.push(Planned {
            reference,
            body: resolved,
            depends_on,
        });
    }
    Ok(planned)
}

/// Orders resources so that each comes after what it depends on; names (`type/name` or a bare
/// name) are matched to ids.
fn order(planned: Vec<Planned>) -> Result<Vec<Planned>, TemplateError> {
    let ids: Vec<String> = planned
        .iter()
        .map(|p| p.reference.id.to_ascii_lowercase())
        .collect();
    let resolve = |dependency: &str| -> Result<String, TemplateError> {
        let lower = dependency.to_ascii_lowercase();
        ids.iter()
            .find(|id| {
                **id == lower
                    || id.ends_with(&format!("/{lower}"))
                    || id.rsplit('/').next() == Some(lower.as_str())
            })
            .cloned()
            .ok_or_else(|| {
                TemplateError(format!(
                    "The resource '{dependency}' is not defined in the template."
                ))
            })
    };
    let mut pending: Vec<Planned> = Vec::new();
    for mut item in planned {
        item.depends_on = item
            .depends_on
            .iter()
            .map(|d| resolve(d))
            .collect::<Result<_, _>>()?;
        pending.push(item);
    }
    let mut done: Vec<String> = Vec::new();
    let mut ordered = Vec::new();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|p| p.depends_on.iter().all(|d| done.contains(d)))
            .ok_or_else(|| {
                TemplateError("Circular dependency detected on resources of the template.".into())
            })?;
        let item = pending.remove(ready);
        done.push(item.reference.id.to_ascii_lowercase());
        ordered.push(item);
    }
    Ok(ordered)
}

/// The deployment operation error of a resource write ARM refused.
fn resource_failure(resource: &ResourceRef, refused: &Response) -> Value {
    let error = refused
        .body
        .as_ref()
        .map(|b| b["error"].clone())
        .unwrap_or(Value::Null);
    json!({
        "code": error["code"].as_str().unwrap_or("ResourceDeploymentFailure"),
        "message": error["message"].as_str().map_or_else(
            || format!("The resource write operation failed for '{}'.", resource.id),
            str::to_owned,
        ),
        "target": resource.id,
    })
}

fn invalid_template(message: &str) -> Response {
    Response::error(
        400,
        "InvalidTemplate",
        &format!("Deployment template validation failed: '{message}'."),
    )
}
