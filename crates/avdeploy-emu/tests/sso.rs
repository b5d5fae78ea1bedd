//! Entra single sign-on through Graph as `az rest` reaches it: the Windows Cloud Login service
//! principal's `remoteDesktopSecurityConfiguration` and its target device groups.

mod common;

use avdeploy_emu::Emulator;
use common::{Client, config};
use serde_json::json;

/// The Windows Cloud Login application every tenant has.
const WINDOWS_CLOUD_LOGIN: &str = "270efc09-cd0d-444b-a71f-39af4910ec45";

#[test]
fn the_rdp_protocol_is_enabled_and_a_group_becomes_a_target_device_group_once() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(config(dir.path(), "", 0.02)).unwrap();
    let client = Client::new(&emulator);
    let sps = client.call(
        "GET",
        &format!("/v1.0/servicePrincipals?$filter=appId%20eq%20'{WINDOWS_CLOUD_LOGIN}'"),
        None,
    );
    let sp = sps.body["value"][0]["id"].as_str().unwrap().to_owned();
    let url = format!("/v1.0/servicePrincipals/{sp}/remoteDesktopSecurityConfiguration");
    let before = client.call("GET", &url, None);
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.body["isRemoteDesktopProtocolEnabled"], false);
    let patch = client.call(
        "PATCH",
        &url,
        Some(
            json!({"@odata.type": "#microsoft.graph.remoteDesktopSecurityConfiguration",
            "isRemoteDesktopProtocolEnabled": true}),
        ),
    );
    assert_eq!(patch.status, 204);
    assert_eq!(
        client.call("GET", &url, None).body["isRemoteDesktopProtocolEnabled"],
        true
    );

    let targets = format!("{url}/targetDeviceGroups");
    let missing = client.call(
        "POST",
        &targets,
        Some(json!({"id": "00000000-0000-4000-8000-000000000000", "displayName": "x"})),
    );
    assert_eq!(missing.status, 404, "the group must exist");
    let group = client.call(
        "POST",
        "/v1.0/groups",
        Some(
            json!({"displayName": "sso-devices", "mailNickname": "sso-devices",
            "securityEnabled": true, "mailEnabled": false}),
        ),
    );
    let id = group.body["id"].as_str().unwrap().to_owned();
    let target = json!({"@odata.type": "#microsoft.graph.targetDeviceGroup", "id": id,
        "displayName": "sso-devices"});
    let added = client.call("POST", &targets, Some(target.clone()));
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(client.call("POST", &targets, Some(target)).status, 409);
    let listed = client.call("GET", &targets, None);
    assert_eq!(listed.body["value"][0]["id"], id.as_str());
    assert_eq!(
        client
            .call("DELETE", &format!("{targets}/{id}"), None)
            .status,
        204
    );
    assert_eq!(client.call("GET", &targets, None).body["value"], json!([]));
}
