//! Azure RBAC: built-in role definitions, and role assignments that need an existing principal
//! (PrincipalNotFound while a new group replicates), a known role and an existing scope.

use serde_json::{Value, json};

use crate::call::{Call, Outcome};
use crate::directory::{self, GROUPS, USER_ID};
use crate::failure::{AzFailure, CallError};
use crate::store::Record;

const ASSIGNMENTS: &str = "role assignment";

/// Azure seconds a new group takes to replicate to Resource Manager.
pub const REPLICATION_SECONDS: f64 = 15.0;

/// Built-in roles: (name, definition GUID).
pub const ROLES: &[(&str, &str)] = &[
    ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
    (
        "Desktop Virtualization Contributor",
        "082f0a83-3be5-4ba1-904c-961cca79b387",
    ),
    (
        "Desktop Virtualization Power On Contributor",
        "489581de-a3bd-480d-9518-53dea7416b33",
    ),
    (
        "Desktop Virtualization Power On Off Contributor",
        "40c5ff49-9181-41f8-ae61-143b0e78555e",
    ),
    (
        "Desktop Virtualization Session Host Operator",
        "2ad6aaab-ead9-4eaa-8ac5-da422f562408",
    ),
    (
        "Desktop Virtualization User",
        "1d18fff3-a72a-46b5-b4a9-0b38a3cd7e63",
    ),
    ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
    ("Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"),
    (
        "Storage Account Contributor",
        "17d1049b-9a84-46fb-8f53-869881c3d3ab",
    ),
    (
        "Storage Blob Data Contributor",
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    ),
    (
        "Storage File Data SMB Share Contributor",
        "0c867c2a-1d8c-454a-a3db-ab2ea1bdc8bb",
    ),
    (
        "Storage File Data SMB Share Elevated Contributor",
        "a7264617-510b-434b-a828-9731dc254ea7",
    ),
    (
        "Storage File Data SMB Share Reader",
        "aba4ae5f-2193-4029-9191-0cb91df5e314",
    ),
    (
        "User Access Administrator",
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    ),
    (
        "Virtual Machine Administrator Login",
        "1c0163c0-47e6-4577-8991-ea5c82e286e4",
    ),
    (
        "Virtual Machine Contributor",
        "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
    ),
    (
        "Virtual Machine User Login",
        "fb879df8-f326-4884-b1cf-06f3ad86be52",
    ),
];

/// The built-in role named, or given by GUID or definition id.
fn role(wanted: &str) -> Option<(&'static str, &'static str)> {
    let guid = wanted.rsplit('/').next().unwrap_or(wanted);
    ROLES
        .iter()
        .find(|(name, id)| name.eq_ignore_ascii_case(wanted) || id.eq_ignore_ascii_case(guid))
        .copied()
}

fn definition_id(call: &Call, guid: &str) -> String {
    format!(
        "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        call.settings.subscription
    )
}

/// Answers `az role definition list [--name N]`.
pub fn definitions(call: &mut Call) -> Outcome {
    let wanted = call.args.get("--name").or(call.args.get("--role-name"));
    call.read_delay();
    Ok(Value::Array(
        ROLES
            .iter()
            .filter(|(name, id)| {
                wanted.is_none_or(|w| name.eq_ignore_ascii_case(w) || id.eq_ignore_ascii_case(w))
            })
            .map(|(name, id)| {
                json!({
                    "assignableScopes": ["/"], "description": format!("Built-in role {name}"),
                    "id": definition_id(call, id), "name": id, "permissions": [],
                    "roleName": name, "roleType": "BuiltInRole",
                    "type": "Microsoft.Authorization/roleDefinitions",
                })
            })
            .collect(),
    ))
}

/// Answers `az role assignment create|list|delete`.
pub fn assignment(call: &mut Call, verb: &str) -> Outcome {
    let assignee = call
        .args
        .get("--assignee-object-id")
        .or(call.args.get("--assignee"))
        .map(str::to_owned);
    let wanted_role = match call.args.get("--role") {
        Some(r) => Some(
            role(r)
                .ok_or_else(|| AzFailure::service_plain(&format!("Role '{r}' doesn't exist.")))?,
        ),
        None => None,
    };
    let scope = call
        .args
        .get("--scope")
        .map(|s| s.trim_end_matches('/').to_owned());
    let matches = |b: &Value| {
        assignee
            .as_ref()
            .is_none_or(|a| b["principalId"] == a.as_str())
            && wanted_role.is_none_or(|(name, _)| b["roleDefinitionName"] == name)
            && scope.as_ref().is_none_or(|s| {
                b["scope"]
                    .as_str()
                    .is_some_and(|x| x.eq_ignore_ascii_case(s))
            })
    };
    let existing: Vec<Record> = call
        .store
        .list(ASSIGNMENTS, None, None)?
        .into_iter()
        .filter(|r| matches(&r.body))
        .collect();
    match verb {
        "create" => {
            let (Some(assignee), Some((role_name, role_guid)), Some(scope)) =
                (assignee, wanted_role, scope)
            else {
                return Err(AzFailure::usage(
                    "the following arguments are required: --role, --scope, --assignee or --assignee-object-id",
                )
                .into());
            };
            if !existing.is_empty() {
                return Err(AzFailure::service(
                    "RoleAssignmentExists",
                    "The role assignment already exists.",
                    1,
                )
                .into());
            }
            check_scope(call, &scope)?;
            check_principal(call, &assignee)?;
            let principal_type = call
                .args
                .get("--assignee-principal-type")
                .unwrap_or("User")
                .to_owned();
            let definition = definition_id(call, role_guid);
            call.write(3.0, None, move |call| {
                let id = directory::guid(call, "role")?;
                let mut body = json!({
                    "condition": null, "conditionVersion": null, "createdBy": null,
                    "createdOn": crate::clock::iso_now(), "delegatedManagedIdentityResourceId": null,
                    "description": null,
                    "id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{id}"),
                    "name": id, "principalId": assignee, "principalType": principal_type,
                    "resourceGroup": crate::references::id_group(&scope),
                    "roleDefinitionId": definition, "roleDefinitionName": role_name, "scope": scope,
                    "type": "Microsoft.Authorization/roleAssignments",
                });
                call.store.put(&directory::record(ASSIGNMENTS, &id, body.clone()))?;
                if let Value::Object(map) = &mut body {
                    map.remove("roleDefinitionName");
                }
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

fn check_scope(call: &mut Call, scope: &str) -> Result<(), CallError> {
    let subscription = format!("/subscriptions/{}", call.settings.subscription);
    if !crate::references::is_local(call, &format!("{scope}/"))
        || scope.eq_ignore_ascii_case(&subscription)
    {
        return Ok(());
    }
    let rg = crate::references::id_group(scope);
    call.group_location(&rg)?;
    if scope.to_ascii_lowercase().contains("/providers/") {
        // Role scopes name file shares `fileshares`; their resource ids say `shares`.
        let id = scope.replace("/fileshares/", "/shares/");
        crate::references::existing(call, &id, scope)?;
    }
    Ok(())
}

/// The principal must exist in the tenant and, for a new group, have replicated.
fn check_principal(call: &mut Call, id: &str) -> Result<(), CallError> {
    let group = call.store.get(&format!("{GROUPS}|{id}").to_lowercase())?;
    let replicated = match &group {
        Some(record) => record.body["createdDateTime"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .is_none_or(|created| {
                let age = crate::clock::now_ms() - created.timestamp_millis();
                let delay = crate::clock::millis(crate::clock::scaled(
                    REPLICATION_SECONDS,
                    call.settings.time_scale,
                ));
                age >= delay
            }),
        None => false,
    };
    let known = group.is_some() && replicated
        || id.eq_ignore_ascii_case(USER_ID)
        || directory::find_sp(id).is_some()
        || vm_identity(call, id)?;
    if known {
        return Ok(());
    }
    let message = format!(
        "Principal {} does not exist in the directory {}. Check that you have the correct principal ID. \
         If you are creating this principal and then immediately assigning a role, this error might be \
         related to a replication delay. In this case, set the role assignment principalType property to \
         a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
        id.replace('-', ""),
        crate::directory::TENANT
    );
    Err(AzFailure::service("PrincipalNotFound", &message, 1).into())
}

fn vm_identity(call: &mut Call, id: &str) -> Result<bool, CallError> {
    Ok(call.store.list("vm", None, None)?.iter().any(|vm| {
        vm.body["identity"]["principalId"]
            .as_str()
            .is_some_and(|p| p.eq_ignore_ascii_case(id))
    }))
}
