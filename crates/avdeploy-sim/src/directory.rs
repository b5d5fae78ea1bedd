//! Entra ID (groups, members, service principals, the signed-in user) and role assignments.
//! Objects are stored by object id; display names may repeat, as in Entra ID.

use serde_json::{Value, json};

use crate::call::{Call, Outcome};
use crate::error::SimError;
use crate::failure::AzFailure;
use crate::store::Record;

const GROUPS: &str = "ad group";
const ASSIGNMENTS: &str = "role assignment";

/// Well-known service principals present in every tenant: (display name, app id, object id).
const SERVICE_PRINCIPALS: &[(&str, &str, &str)] = &[
    (
        "Azure Virtual Desktop",
        "9cdead84-a844-4324-93f2-b2e6bb768d07",
        "5d0c3b2e-0000-4000-8000-0000000a0001",
    ),
    (
        "Windows Virtual Desktop",
        "9cdead84-a844-4324-93f2-b2e6bb768d07",
        "5d0c3b2e-0000-4000-8000-0000000a0001",
    ),
    (
        "Microsoft.DesktopVirtualization",
        "50e95039-b200-4007-bc97-8d5790743a63",
        "5d0c3b2e-0000-4000-8000-0000000a0002",
    ),
];

const USER_ID: &str = "3f2a1b0c-0000-4000-8000-0000000a0003";

/// Answers `az ad …`.
pub fn dispatch(call: &mut Call, words: &[&str]) -> Option<Outcome> {
    Some(match words {
        ["group", "create"] => create_group(call),
        ["group", "show"] => find_group(call).map(|r| r.body),
        ["group", "list"] => list_groups(call),
        ["group", "delete"] => delete_group(call),
        ["group", "member", verb] => member(call, verb),
        ["sp", "list"] => Ok(list_sps(call)),
        ["sp", "show"] => show_sp(call),
        ["signed-in-user", "show"] | ["user", "show"] => Ok(user()),
        _ => return None,
    })
}

fn guid(call: &mut Call, kind: &str) -> Result<String, SimError> {
    let n = call.store.bump("object-id")?;
    let tag = kind
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    Ok(format!("{tag:08x}-{:04x}-4000-8000-{n:012x}", n & 0xffff))
}

fn create_group(call: &mut Call) -> Outcome {
    let name = call.args.require("--display-name")?.to_owned();
    let nickname = call.args.require("--mail-nickname")?.to_owned();
    crate::clock::pass(2.0, call.settings.time_scale);
    let id = guid(call, "group")?;
    let body = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups/$entity",
        "description": call.args.get("--description"),
        "displayName": name,
        "id": id,
        "mailEnabled": false,
        "mailNickname": nickname,
        "securityEnabled": true,
    });
    call.store.put(&record(GROUPS, &id, body.clone()))?;
    Ok(body)
}

fn record(family: &str, id: &str, body: Value) -> Record {
    Record {
        key: format!("{family}|{id}").to_lowercase(),
        family: family.to_owned(),
        rg: String::new(),
        parent: String::new(),
        name: id.to_owned(),
        body,
    }
}

fn find_group(call: &mut Call) -> Result<Record, crate::failure::CallError> {
    let wanted = call.args.require("--group")?.to_owned();
    call.read_delay();
    let groups = call.store.list(GROUPS, None, None)?;
    groups
        .into_iter()
        .find(|r| r.name.eq_ignore_ascii_case(&wanted) || r.body["displayName"] == wanted.as_str())
        .ok_or_else(|| {
            AzFailure {
                exit: 3,
                stderr: format!(
                    "ERROR: Resource '{wanted}' does not exist or one of its queried reference-property objects are not present.\n"
                ),
            }
            .into()
        })
}

/// The display name an OData `--filter "displayName eq '…'"` asks for.
fn filtered_name(call: &Call) -> Option<String> {
    if let Some(name) = call.args.get("--display-name") {
        return Some(name.to_owned());
    }
    let filter = call.args.get("--filter")?;
    let rest = filter.trim().strip_prefix("displayName eq '")?;
    Some(rest.strip_suffix('\'')?.replace("''", "'"))
}

fn list_groups(call: &mut Call) -> Outcome {
    let name = filtered_name(call);
    call.read_delay();
    let groups = call.store.list(GROUPS, None, None)?;
    Ok(Value::Array(
        groups
            .into_iter()
            .map(|r| r.body)
            .filter(|b| name.as_ref().is_none_or(|n| b["displayName"] == n.as_str()))
            .map(|mut b| {
                if let Value::Object(map) = &mut b {
                    map.remove("@odata.context");
                    map.remove("members");
                }
                b
            })
            .collect(),
    ))
}

fn delete_group(call: &mut Call) -> Outcome {
    let group = find_group(call)?;
    call.store.delete(&group.key)?;
    Ok(Value::Null)
}

fn member(call: &mut Call, verb: &str) -> Outcome {
    let mut group = find_group(call)?;
    let members = group.body["members"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    match verb {
        "add" | "remove" => {
            let id = call.args.require("--member-id")?.to_owned();
            let mut members: Vec<Value> =
                members.into_iter().filter(|m| m != id.as_str()).collect();
            if verb == "add" {
                members.push(json!(id));
            }
            group.body["members"] = Value::Array(members);
            call.store.put(&group)?;
            Ok(Value::Null)
        }
        "check" => {
            let id = call.args.require("--member-id")?;
            Ok(json!({ "value": members.iter().any(|m| m == id) }))
        }
        _ => Ok(Value::Array(
            members.into_iter().map(|id| json!({ "id": id })).collect(),
        )),
    }
}

fn sp_body((name, app, id): (&str, &str, &str)) -> Value {
    json!({ "appDisplayName": name, "appId": app, "displayName": name, "id": id,
            "servicePrincipalType": "Application" })
}

fn list_sps(call: &Call) -> Value {
    let name = filtered_name(call);
    Value::Array(
        SERVICE_PRINCIPALS
            .iter()
            .filter(|(n, _, _)| name.as_ref().is_none_or(|want| want == n))
            .map(|sp| sp_body(*sp))
            .collect(),
    )
}

fn show_sp(call: &Call) -> Outcome {
    let id = call.args.require("--id")?;
    SERVICE_PRINCIPALS
        .iter()
        .find(|(_, app, object)| *app == id || *object == id)
        .map(|sp| sp_body(*sp))
        .ok_or_else(|| {
            AzFailure {
                exit: 3,
                stderr: format!("ERROR: Resource '{id}' does not exist or one of its queried reference-property objects are not present.\n"),
            }
            .into()
        })
}

fn user() -> Value {
    json!({ "displayName": "Simulated User", "id": USER_ID,
            "userPrincipalName": "simulated.user@contoso.example" })
}

/// Answers `az role assignment create|list|delete`.
pub fn role_assignment(call: &mut Call, verb: &str) -> Outcome {
    let assignee = call
        .args
        .get("--assignee-object-id")
        .or(call.args.get("--assignee"))
        .map(str::to_owned);
    let role = call.args.get("--role").map(str::to_owned);
    let scope = call.args.get("--scope").map(str::to_owned);
    let matches = |b: &Value| {
        assignee
            .as_ref()
            .is_none_or(|a| b["principalId"] == a.as_str())
            && role
                .as_ref()
                .is_none_or(|r| b["roleDefinitionName"] == r.as_str())
            && scope.as_ref().is_none_or(|s| b["scope"] == s.as_str())
    };
    let existing: Vec<Record> = call
        .store
        .list(ASSIGNMENTS, None, None)?
        .into_iter()
        .filter(|r| matches(&r.body))
        .collect();
    match verb {
        "create" => {
            let (Some(assignee), Some(role), Some(scope)) = (&assignee, &role, &scope) else {
                return Err(AzFailure::usage(
                    "the following arguments are required: --role, --scope, --assignee or --assignee-object-id",
                )
                .into());
            };
            if let Some(found) = existing.into_iter().next() {
                return Ok(found.body);
            }
            let (assignee, role, scope) = (assignee.clone(), role.clone(), scope.clone());
            let principal_type = call
                .args
                .get("--assignee-principal-type")
                .unwrap_or("User")
                .to_owned();
            call.write(3.0, None, move |call| {
                let id = guid(call, "role")?;
                let body = json!({
                    "id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{id}"),
                    "name": id,
                    "principalId": assignee,
                    "principalType": principal_type,
                    "roleDefinitionName": role,
                    "scope": scope,
                    "type": "Microsoft.Authorization/roleAssignments",
                });
                call.store.put(&record(ASSIGNMENTS, &id, body.clone()))?;
                Ok(body)
            })
        }
        "delete" => {
            for r in existing {
                call.store.delete(&r.key)?;
            }
            Ok(Value::Null)
        }
        _ => Ok(Value::Array(existing.into_iter().map(|r| r.body).collect())),
    }
}
