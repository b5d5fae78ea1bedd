//! NSG security rules as Azure stores them: priority as a number within 100..=4096, unique per
//! direction in its NSG; address prefixes that are `*`, IP ranges or known service tags; single
//! values in `…Prefix`/`…Range`, several in `…Prefixes`/`…Ranges`.

use serde_json::{Value, json};

use crate::call::Call;
use crate::failure::{AzFailure, CallError};
use crate::props::{choice, integer, text};
use crate::resource::Address;

/// Service tags a rule may name (region-qualified forms such as `Storage.WestEurope` too).
const SERVICE_TAGS: &[&str] = &[
    "ActionGroup",
    "ApiManagement",
    "AppService",
    "AzureActiveDirectory",
    "AzureBackup",
    "AzureCloud",
    "AzureContainerRegistry",
    "AzureCosmosDB",
    "AzureFrontDoor.Backend",
    "AzureFrontDoor.Frontend",
    "AzureKeyVault",
    "AzureLoadBalancer",
    "AzureMonitor",
    "AzureResourceManager",
    "AzureSiteRecovery",
    "AzureTrafficManager",
    "AzureUpdateDelivery",
    "EventHub",
    "GatewayManager",
    "GuestAndHybridManagement",
    "Internet",
    "MicrosoftContainerRegistry",
    "ServiceBus",
    "Sql",
    "Storage",
    "VirtualNetwork",
    "WindowsAdminCenter",
    "WindowsVirtualDesktop",
];

/// Applies a rule create or update; defaults only when `creating`.
pub fn shape(
    call: &mut Call,
    address: &Address,
    body: &mut Value,
    creating: bool,
) -> Result<(), CallError> {
    let command = call.args.command();
    if let Value::Object(map) = body {
        map.remove("location");
        map.remove("tags");
    }
    if creating {
        call.args.require("--priority")?;
        for (key, value) in [
            ("access", "Allow"),
            ("direction", "Inbound"),
            ("protocol", "*"),
            ("description", ""),
        ] {
            body[key] = json!(value);
        }
        addresses(body, "sourceAddressPrefix", &["*".to_owned()]);
        addresses(body, "sourcePortRange", &["*".to_owned()]);
        addresses(body, "destinationAddressPrefix", &["*".to_owned()]);
        addresses(body, "destinationPortRange", &["80".to_owned()]);
    }
    let args = &call.args;
    if let Some(priority) = integer(args, "--priority", i64::MIN, i64::MAX)? {
        if !(100..=4096).contains(&priority) {
            return Err(AzFailure::service(
                "SecurityRuleInvalidPriority",
                &format!(
                    "Security rule has invalid Priority. Value provided: {priority} Allowed range 100-4096."
                ),
                1,
            )
            .into());
        }
        body["priority"] = json!(priority);
    }
    if let Some(access) = choice(args, &command, "--access", &["Allow", "Deny"])? {
        body["access"] = json!(access);
    }
    if let Some(direction) = choice(args, &command, "--direction", &["Inbound", "Outbound"])? {
        body["direction"] = json!(direction);
    }
    let protocols = ["*", "Ah", "Esp", "Icmp", "Tcp", "Udp"];
    if let Some(protocol) = choice(args, &command, "--protocol", &protocols)? {
        body["protocol"] = json!(protocol);
    }
    if let Some(description) = text(args, "--description") {
        body["description"] = json!(description);
    }
    for (flag, key) in [
        ("--source-address-prefixes", "sourceAddressPrefix"),
        ("--destination-address-prefixes", "destinationAddressPrefix"),
    ] {
        if args.has(flag) {
            for prefix in args.values(flag) {
                check_prefix(prefix)?;
            }
            addresses(body, key, args.values(flag));
        }
    }
    for (flag, key) in [
        ("--source-port-ranges", "sourcePortRange"),
        ("--destination-port-ranges", "destinationPortRange"),
    ] {
        if args.has(flag) {
            addresses(body, key, args.values(flag));
        }
    }
    check_unique(call, address, body)
}

/// One value goes to `key`, several to `key` + "es"/"s", as the Network provider stores them.
fn addresses(body: &mut Value, key: &str, values: &[String]) {
    let plural = if key.ends_with("Prefix") {
        format!("{key}es")
    } else {
        format!("{key}s")
    };
    let Value::Object(map) = body else { return };
    match values {
        [one] => {
            map.insert(key.to_owned(), json!(one));
            map.insert(plural, json!([]));
        }
        many => {
            map.remove(key);
            map.insert(plural, json!(many));
        }
    }
}

fn check_prefix(prefix: &str) -> Result<(), AzFailure> {
    let base = prefix.split('.').next().unwrap_or(prefix);
    let is_ip = prefix
        .chars()
        .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | '/' | ':'))
        && prefix.chars().any(|c| c.is_ascii_digit());
    let is_tag = SERVICE_TAGS
        .iter()
        .any(|t| t.eq_ignore_ascii_case(prefix) || t.eq_ignore_ascii_case(base));
    if prefix == "*" || is_ip || is_tag {
        return Ok(());
    }
    Err(AzFailure::service(
        "SecurityRuleInvalidAddressPrefix",
        &format!("Security rule has invalid Address prefix. Value provided: {prefix}"),
        1,
    ))
}

/// Two rules of one NSG may not share priority and direction.
fn check_unique(call: &mut Call, address: &Address, body: &Value) -> Result<(), CallError> {
    let rules = call.store.list(
        "network nsg rule",
        Some(&address.rg.to_lowercase()),
        Some(&address.parent()),
    )?;
    let clash = rules.into_iter().find(|r| {
        !r.name.eq_ignore_ascii_case(address.name())
            && r.body["priority"] == body["priority"]
            && r.body["direction"] == body["direction"]
    });
    match clash {
        Some(other) => Err(AzFailure::service(
            "SecurityRuleConflict",
            &format!(
                "Security rule {} conflicts with rule {}. Rules cannot have the same Priority and Direction. \
                 To learn more, see aka.ms/nsgrules.",
                address.name(),
                other.name
            ),
            1,
        )
        .into()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_ips_stars_or_service_tags() {
        for ok in [
            "*",
            "10.0.0.0/16",
            "WindowsVirtualDesktop",
            "AzureCloud.eastus",
            "Internet",
        ] {
            assert!(check_prefix(ok).is_ok(), "{ok}");
        }
        let err = check_prefix("WindowsVirtualDesk").unwrap_err();
        assert!(err.stderr.contains("(SecurityRuleInvalidAddressPrefix)"));
    }

    #[test]
    fn one_value_is_singular_many_are_plural() {
        let mut body = json!({});
        addresses(&mut body, "destinationPortRange", &["443".to_owned()]);
        assert_eq!(
            body,
            json!({"destinationPortRange": "443", "destinationPortRanges": []})
        );
        addresses(
            &mut body,
            "destinationPortRange",
            &["80".to_owned(), "443".to_owned()],
        );
        assert_eq!(body, json!({"destinationPortRanges": ["80", "443"]}));
    }
}
