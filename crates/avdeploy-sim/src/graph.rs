//! Microsoft Graph through `az rest`: a service principal's `remoteDesktopSecurityConfiguration`
//! (Entra single sign-on for Azure Virtual Desktop) and its `targetDeviceGroups`.

use serde_json::{Value, json};

use crate::call::Call;
use crate::directory::{self, GROUPS};
use crate::failure::http_error;
use crate::failure::{AzFailure, CallError};

const CONFIGURATIONS: &str = "graph remoteDesktopSecurityConfiguration";

/// Answers `az rest` on `https://graph.microsoft.com/v1.0/<path>`.
pub fn handle(
    call: &mut Call,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, CallError> {
    let (principal, rest) = principal(path).ok_or_else(|| not_found(path))?;
    let (_, _, object_id) = directory::find_sp(&principal).ok_or_else(|| not_found(&principal))?;
    let key = format!("{CONFIGURATIONS}|{object_id}").to_lowercase();
    let mut stored = call.store.get(&key)?.map_or_else(
        || json!({ "id": crate::network::guid_of(&json!(object_id)), "isRemoteDesktopProtocolEnabled": false, "targetDeviceGroups": [] }),
        |r| r.body,
    );
    let context = format!(
        "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('{object_id}')/remoteDesktopSecurityConfiguration"
    );
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    call.read_delay();
    let answer = match (method, segments.as_slice()) {
        ("GET", ["remoteDesktopSecurityConfiguration"]) => {
            json!({ "@odata.context": format!("{context}/$entity"), "id": stored["id"],
                    "isRemoteDesktopProtocolEnabled": stored["isRemoteDesktopProtocolEnabled"] })
        }
        ("PATCH", ["remoteDesktopSecurityConfiguration"]) => {
            if let Some(enabled) = body
                .as_ref()
                .and_then(|b| b.get("isRemoteDesktopProtocolEnabled"))
            {
                stored["isRemoteDesktopProtocolEnabled"] = enabled.clone();
            }
            Value::Null
        }
        ("GET", ["remoteDesktopSecurityConfiguration", "targetDeviceGroups"]) => {
            json!({ "@odata.context": format!("{context}/targetDeviceGroups"), "value": stored["targetDeviceGroups"] })
        }
        ("POST", ["remoteDesktopSecurityConfiguration", "targetDeviceGroups"]) => {
            let body = body.unwrap_or_default();
            let id = body["id"].as_str().unwrap_or_default().to_owned();
            if call
                .store
                .get(&format!("{GROUPS}|{id}").to_lowercase())?
                .is_none()
            {
                return Err(not_found(&id).into());
            }
            let groups = stored["targetDeviceGroups"]
                .as_array_mut()
                .map(std::mem::take)
                .unwrap_or_default();
            if groups.iter().any(|g| g["id"] == id.as_str()) {
                return Err(http_error(
                    "Conflict",
                    "conflictingObjects",
                    "A target device group with this id already exists.",
                )
                .into());
            }
            let group = json!({ "displayName": body["displayName"], "id": id });
            let mut groups = groups;
            groups.push(group.clone());
            stored["targetDeviceGroups"] = Value::Array(groups);
            let mut created = group;
            created["@odata.context"] = json!(format!("{context}/targetDeviceGroups/$entity"));
            created
        }
        (
            "DELETE",
            [
                "remoteDesktopSecurityConfiguration",
                "targetDeviceGroups",
                id,
            ],
        ) => {
            if let Some(groups) = stored["targetDeviceGroups"].as_array_mut() {
                groups.retain(|g| g["id"] != *id);
            }
            Value::Null
        }
        _ => return Err(not_found(path).into()),
    };
    call.store
        .put(&directory::record(CONFIGURATIONS, object_id, stored))?;
    Ok(answer)
}

/// The principal (`servicePrincipals/<id>` or `servicePrincipals(appId='<app>')`) and the rest.
fn principal(path: &str) -> Option<(String, &str)> {
    let rest = path.strip_prefix("servicePrincipals")?;
    if let Some(app) = rest.strip_prefix("(appId='") {
        let (app, rest) = app.split_once("')")?;
        return Some((app.to_owned(), rest));
    }
    let rest = rest.strip_prefix('/')?;
    let (id, rest) = rest.split_once('/').unwrap_or((rest, ""));
    Some((id.to_owned(), rest))
}

fn not_found(what: &str) -> AzFailure {
    http_error(
        "Not Found",
        "Request_ResourceNotFound",
        &format!(
            "Resource '{what}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_by_id_or_app_id() {
        let (id, rest) =
            principal("servicePrincipals(appId='270efc09')/remoteDesktopSecurityConfiguration")
                .unwrap();
        assert_eq!(
            (id.as_str(), rest),
            ("270efc09", "/remoteDesktopSecurityConfiguration")
        );
        let (id, rest) = principal(
            "servicePrincipals/abc/remoteDesktopSecurityConfiguration/targetDeviceGroups",
        )
        .unwrap();
        assert_eq!(
            (id.as_str(), rest),
            (
                "abc",
                "remoteDesktopSecurityConfiguration/targetDeviceGroups"
            )
        );
    }
}
