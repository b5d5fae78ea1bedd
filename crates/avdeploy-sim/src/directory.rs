//! Entra ID (groups, members, service principals, the signed-in user) and role assignments.
//! Objects are stored by object id; display names may repeat, as in Entra ID.

use serde_json::{Value, json};

use crate::call::{Call, Outcome};
use crate::error::SimError;
use crate::failure::AzFailure;
use crate::store::Record;

/// The simulated tenant id.
pub const TENANT: &str = "72f988bf-0000-4000-8000-00000000a2de";

/// The store family of Entra ID groups.
pub const GROUPS: &str = "ad group";

/// Well-known service principals present in every tenant: (display name, app id, object id).
pub const SERVICE_PRINCIPALS: &[(&str, &str, &str)] = &[
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
        "Windows Cloud Login",
        "270efc09-cd0d-444b-a71f-39af4910ec45",
        "5d0c3b2e-0000-4000-8000-0000000a0004",
    ),
    (
        "Microsoft Remote Desktop",
        "a4a365df-50f1-4397-bc59-1a1564b8bb9c",
        "5d0c3b2e-0000-4000-8000-0000000a0005",
    ),
    (
        "Microsoft.DesktopVirtualization",
        "50e95039-b200-4007-bc97-8d5790743a63",
        "5d0c3b2e-0000-4000-8000-0000000a0002",
    ),
];

/// The signed-in user's object id.
pub const USER_ID: &str = "3f2a1b0c-0000-4000-8000-0000000a0003";

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

/// A new object id of `kind`.
pub fn guid(call: &mut Call, kind: &str) -> Result<String, SimError> {
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
        "createdDateTime": crate::clock::iso_now(),
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

/// A directory object stored under `family` by its id.
pub fn record(family: &str, id: &str, body: Value) -> Record {
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
    let app = call
        .args
        .get("--filter")
        .and_then(|f| f.trim().strip_prefix("appId eq '"))
        .and_then(|f| f.strip_suffix('\''))
        .map(str::to_owned);
    Value::Array(
        SERVICE_PRINCIPALS
            .iter()
            .filter(|(n, _, _)| app.is_some() || name.as_ref().is_none_or(|want| want == n))
            .filter(|(_, a, _)| app.as_ref().is_none_or(|want| want.eq_ignore_ascii_case(a)))
            .map(|sp| sp_body(*sp))
            .collect(),
    )
}

fn show_sp(call: &Call) -> Outcome {
    let id = call.args.require("--id")?;
    find_sp(id)
        .map(sp_body)
        .ok_or_else(|| {
            AzFailure {
                exit: 3,
                stderr: format!("ERROR: Resource '{id}' does not exist or one of its queried reference-property objects are not present.\n"),
            }
            .into()
        })
}

/// The well-known service principal with this app id or object id.
pub fn find_sp(id: &str) -> Option<(&'static str, &'static str, &'static str)> {
    SERVICE_PRINCIPALS
        .iter()
        .find(|(_, app, object)| app.eq_ignore_ascii_case(id) || object.eq_ignore_ascii_case(id))
        .copied()
}

fn user() -> Value {
    json!({ "displayName": "Simulated User", "id": USER_ID,
            "userPrincipalName": "simulated.user@contoso.example" })
}
