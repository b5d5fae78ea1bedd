//! References between resources: a property holding another resource's id is checked against the
//! simulated subscription, and a missing target fails the write the way its provider does.

use serde_json::Value;

use crate::call::Call;
use crate::failure::{AzFailure, CallError};
use crate::props;

/// Whether `id` names a resource in the simulated subscription (others cannot be checked).
pub fn is_local(call: &Call, id: &str) -> bool {
    let prefix = format!("/subscriptions/{}/", call.settings.subscription);
    id.to_ascii_lowercase()
        .starts_with(&prefix.to_ascii_lowercase())
}

/// The stored body of the resource `id`, or `None` when it lives outside the simulated
/// subscription; a missing local resource fails with Resource Manager's reference error.
pub fn target(call: &mut Call, id: &str, referrer: &str) -> Result<Option<Value>, CallError> {
    if !is_local(call, id) {
        return Ok(None);
    }
    match call.store.find_id(id)? {
        Some(record) => Ok(Some(record.body)),
        None => Err(missing(id, referrer).into()),
    }
}

/// The stored body of the resource `id`, which must exist in the simulated subscription.
pub fn existing(call: &mut Call, id: &str, referrer: &str) -> Result<Value, CallError> {
    match call.store.find_id(id)? {
        Some(record) => Ok(record.body),
        None => Err(missing(id, referrer).into()),
    }
}

/// The error of a write that references a resource that does not exist.
pub fn missing(id: &str, referrer: &str) -> AzFailure {
    if id
        .to_ascii_lowercase()
        .contains("/providers/microsoft.network/")
    {
        AzFailure::service(
            "InvalidResourceReference",
            &format!(
                "Resource {id} referenced by resource {referrer} was not found. Please make sure \
                 that the referenced resource exists, and that both resources are in the same region."
            ),
            1,
        )
    } else {
        let kind = id_type(id);
        let rg = id_group(id);
        AzFailure::not_found(&kind, props::id_name(id), &rg)
    }
}

/// The ARM type of an id (`Microsoft.Network/virtualNetworks/subnets`).
pub fn id_type(id: &str) -> String {
    let lower = id.to_ascii_lowercase();
    let Some(at) = lower.find("/providers/") else {
        return "Microsoft.Resources/resourceGroups".to_owned();
    };
    let parts: Vec<&str> = id[at + "/providers/".len()..].split('/').collect();
    let mut kind = vec![parts[0]];
    kind.extend(parts.iter().skip(1).step_by(2));
    kind.join("/")
}

/// The resource group named in an id ("" when it has none).
pub fn id_group(id: &str) -> String {
    let parts: Vec<&str> = id.split('/').collect();
    parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("resourceGroups"))
        .and_then(|i| parts.get(i + 1))
        .map_or(String::new(), |rg| (*rg).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_their_type_and_group() {
        let id = "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v/subnets/a";
        assert_eq!(id_type(id), "Microsoft.Network/virtualNetworks/subnets");
        assert_eq!(id_group(id), "RG");
        assert!(
            missing(id, "/x")
                .stderr
                .contains("(InvalidResourceReference)")
        );
        let hp = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DesktopVirtualization/hostPools/hp";
        let failure = missing(hp, "/x");
        assert_eq!(failure.exit, 3);
        assert!(
            failure
                .stderr
                .contains("'Microsoft.DesktopVirtualization/hostPools/hp'")
        );
    }
}
