//! `storage share create|exists|show|delete --account-name`: the file service's data plane, as
//! bash-engine modules call it, answers over the same shares as `storage share-rm`.

#[path = "common/sim_az.rs"]
mod sim_az;

use sim_az::{Sim, code, stderr};

fn account() -> Sim {
    let sim = Sim::new();
    sim.ok("group create -n rg-avd -l westeurope");
    sim.ok(
        "storage account create -g rg-avd -n stavdprofiles --sku Premium_LRS --kind FileStorage",
    );
    sim
}

#[test]
fn create_exists_show_and_delete_answer_as_the_data_plane_does() {
    let sim = account();
    let absent = sim.json("storage share exists --name profiles --account-name stavdprofiles");
    assert_eq!(absent, serde_json::json!({ "exists": false }));
    let missing = sim.az("storage share show --name profiles --account-name stavdprofiles");
    assert_eq!(code(&missing), 3);
    assert!(stderr(&missing).contains("The specified share does not exist."));
    assert!(stderr(&missing).contains("ErrorCode:ShareNotFound"));

    let created =
        sim.json("storage share create --name profiles --account-name stavdprofiles --quota 200");
    assert_eq!(created, serde_json::json!({ "created": true }));
    let again = sim.json("storage share create --name profiles --account-name stavdprofiles");
    assert_eq!(again, serde_json::json!({ "created": false }));
    let refused =
        sim.az("storage share create --name profiles --account-name stavdprofiles --fail-on-exist");
    assert_eq!(code(&refused), 1);
    assert!(stderr(&refused).contains("ErrorCode:ShareAlreadyExists"));

    let shown = sim.json("storage share show --name profiles --account-name stavdprofiles");
    assert_eq!(shown["name"], "profiles");
    assert_eq!(shown["properties"]["quota"], 200);
    assert_eq!(shown["enabledProtocols"], "SMB");
    let exists = sim.json("storage share exists -n profiles --account-name stavdprofiles");
    assert_eq!(exists["exists"], true);

    // One share, whichever plane looks at it.
    let rm =
        sim.json("storage share-rm show -g rg-avd --storage-account stavdprofiles -n profiles");
    assert_eq!(rm["shareQuota"], 200);
    assert_eq!(
        rm["type"],
        "Microsoft.Storage/storageAccounts/fileServices/shares"
    );

    let deleted = sim.json("storage share delete --name profiles --account-name stavdprofiles");
    assert_eq!(deleted["deleted"], true);
    let gone =
        sim.az("storage share-rm show -g rg-avd --storage-account stavdprofiles -n profiles");
    assert_eq!(code(&gone), 3);
}

#[test]
fn credentials_and_names_are_checked_as_the_service_checks_them() {
    let sim = account();
    let keys = sim.json("storage account keys list -g rg-avd --account-name stavdprofiles");
    let key = keys[0]["value"].as_str().unwrap().to_owned();
    let with_key = sim.ok_args(&[
        "storage",
        "share",
        "create",
        "--name",
        "data",
        "--account-name",
        "stavdprofiles",
        "--account-key",
        &key,
    ]);
    assert!(with_key.contains("\"created\": true"), "{with_key}");
    let connection = format!(
        "DefaultEndpointsProtocol=https;AccountName=stavdprofiles;AccountKey={key};EndpointSuffix=core.windows.net"
    );
    let via_connection = sim.ok_args(&[
        "storage",
        "share",
        "exists",
        "--name",
        "data",
        "--connection-string",
        &connection,
    ]);
    assert!(
        via_connection.contains("\"exists\": true"),
        "{via_connection}"
    );

    let wrong = sim.az_args(&[
        "storage",
        "share",
        "show",
        "--name",
        "data",
        "--account-name",
        "stavdprofiles",
        "--account-key",
        "d3Jvbmc=",
    ]);
    assert_eq!(code(&wrong), 1);
    assert!(stderr(&wrong).contains("ErrorCode:AuthenticationFailed"));

    let bad_name = sim.az("storage share create --name Bad_Name --account-name stavdprofiles");
    assert_eq!(code(&bad_name), 1);
    assert!(stderr(&bad_name).contains("ErrorCode:InvalidResourceName"));

    let no_account = sim.az("storage share exists --name data --account-name stnothere");
    assert_eq!(code(&no_account), 1);
    assert!(
        stderr(&no_account).contains("Failed to resolve 'stnothere.file.core.windows.net'"),
        "{}",
        stderr(&no_account)
    );
}
