//! The Azure Virtual Desktop path through the simulator: a golden-image VM with its NIC and disk,
//! sysprep and capture into a gallery, host pool objects under their ARM names, session hosts
//! registered by the agent install, role assignments and Graph single sign-on through `az rest`.

#[path = "common/sim_az.rs"]
mod sim_az;

use sim_az::{Sim, code, stderr};

const PASSWORD: &str = "Pw-123456789abc";

fn base() -> Sim {
    let sim = Sim::new();
    for line in [
        "group create -n rg -l westeurope",
        "network vnet create -g rg -n vnet --address-prefixes 10.20.0.0/16",
        "network vnet subnet create -g rg --vnet-name vnet -n hosts --address-prefixes 10.20.1.0/24",
    ] {
        sim.ok(line);
    }
    sim
}

fn vm_create(sim: &Sim, name: &str, image: &str) -> std::process::Output {
    sim.az_args(&[
        "vm",
        "create",
        "-g",
        "rg",
        "-n",
        name,
        "--image",
        image,
        "--admin-username",
        "avdadmin",
        "--admin-password",
        PASSWORD,
        "--vnet-name",
        "vnet",
        "--subnet",
        "hosts",
        "--nsg",
        "",
        "--public-ip-address",
        "",
        "--security-type",
        "TrustedLaunch",
        "--enable-secure-boot",
        "true",
        "--enable-vtpm",
        "true",
    ])
}

#[test]
fn golden_image_is_created_captured_and_cleaned_up() {
    let sim = base();
    let out = vm_create(
        &sim,
        "vm-golden",
        "MicrosoftWindowsDesktop:office-365:win11-24h2-avd-m365:latest",
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let vm = sim.json("vm show -g rg -n vm-golden");
    assert_eq!(
        vm["securityProfile"]["uefiSettings"]["secureBootEnabled"],
        true
    );
    let nic = vm["networkProfile"]["networkInterfaces"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let disk = vm["storageProfile"]["osDisk"]["managedDisk"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(nic.ends_with("/networkInterfaces/vm-goldenVMNic"), "{nic}");
    assert!(disk.contains("/disks/vm-golden_OsDisk_1_"), "{disk}");
    let shown = sim.json_args(&["network", "nic", "show", "--ids", &nic]);
    assert_eq!(
        shown["ipConfigurations"][0]["privateIPAddress"],
        "10.20.1.4"
    );
    let long = vm_create(&sim, "vm-golden-image-temp", "Win2022Datacenter");
    assert!(
        stderr(&long).contains("(InvalidParameter) Windows computer name cannot be more than 15")
    );

    sim.ok("sig create -g rg --gallery-name galavd");
    let def = sim.json("sig image-definition create -g rg --gallery-name galavd --gallery-image-definition win11 --publisher avd --offer win11 --sku pooled --os-type Windows --os-state Generalized --hyper-v-generation V2 --features SecurityType=TrustedLaunch");
    assert_eq!(def["features"][0]["value"], "TrustedLaunch");
    let vm_id = vm["id"].as_str().unwrap();
    let capture = [
        "sig",
        "image-version",
        "create",
        "-g",
        "rg",
        "--gallery-name",
        "galavd",
        "--gallery-image-definition",
        "win11",
        "--gallery-image-version",
        "1.0.0",
        "--virtual-machine",
        vm_id,
    ];
    let early = sim.az_args(&capture);
    assert_eq!(code(&early), 1);
    assert!(
        stderr(&early).contains("is not generalized"),
        "{}",
        stderr(&early)
    );

    let sysprep = "Start-Process -FilePath 'C:\\Windows\\System32\\Sysprep\\sysprep.exe' -ArgumentList '/generalize', '/oobe', '/shutdown', '/mode:vm' -Wait\n";
    sim.run_script("rg", "vm-golden", sysprep);
    sim.ok("vm wait -g rg -n vm-golden --custom instanceView.statuses[?code=='PowerState/stopped'] --interval 1 --timeout 5");
    sim.ok("vm deallocate -g rg -n vm-golden");
    sim.ok("vm generalize -g rg -n vm-golden");
    let state = sim.ok("vm get-instance-view -g rg -n vm-golden --query instanceView.statuses[?starts_with(code,'OSState/')].code|[0] -o tsv");
    assert_eq!(state.trim(), "OSState/generalized");
    let version = sim.json_args(&capture);
    assert_eq!(
        version["storageProfile"]["source"]["virtualMachineId"],
        vm_id
    );

    let attached = sim.az_args(&["network", "nic", "delete", "--ids", &nic]);
    assert!(stderr(&attached).contains("(NicInUse)"));
    sim.ok("vm delete -g rg -n vm-golden --yes");
    sim.ok(&format!("network nic delete --ids {nic}"));
    sim.ok(&format!("disk delete --ids {disk} --yes"));
    let host = vm_create(&sim, "vm-avd-sh-1", version["id"].as_str().unwrap());
    assert_eq!(code(&host), 0, "{}", stderr(&host));
}

#[test]
fn host_pool_objects_and_session_host_registration() {
    let sim = base();
    let pool = sim.json_args(&[
        "desktopvirtualization",
        "hostpool",
        "create",
        "-g",
        "rg",
        "-n",
        "hp",
        "--host-pool-type",
        "Pooled",
        "--load-balancer-type",
        "BreadthFirst",
        "--max-session-limit",
        "12",
        "--preferred-app-group-type",
        "Desktop",
        "--validation-environment",
        "false",
        "--start-vm-on-connect",
        "true",
        "--custom-rdp-property",
        "enablerdsaadauth:i:1;targetisaadjoined:i:1",
    ]);
    assert_eq!(pool["maxSessionLimit"], 12);
    assert_eq!(pool["startVMOnConnect"], true);
    assert_eq!(
        pool["customRdpProperty"],
        "enablerdsaadauth:i:1;targetisaadjoined:i:1"
    );
    let missing = sim.az("desktopvirtualization hostpool create -g rg -n hp2 --host-pool-type Pooled --load-balancer-type BreadthFirst");
    assert_eq!(code(&missing), 2);
    let pool_id = pool["id"].as_str().unwrap();
    let group = sim.json_args(&[
        "desktopvirtualization",
        "applicationgroup",
        "create",
        "-g",
        "rg",
        "-n",
        "dag",
        "--application-group-type",
        "Desktop",
        "--host-pool-arm-path",
        pool_id,
    ]);
    let group_id = group["id"].as_str().unwrap();
    sim.json_args(&[
        "desktopvirtualization",
        "workspace",
        "create",
        "-g",
        "rg",
        "-n",
        "ws",
    ]);
    let ws = sim.json_args(&[
        "desktopvirtualization",
        "workspace",
        "update",
        "-g",
        "rg",
        "-n",
        "ws",
        "--application-group-references",
        group_id,
    ]);
    assert_eq!(ws["applicationGroupReferences"][0], group_id);
    let shown = sim.json("desktopvirtualization applicationgroup show -g rg -n dag");
    assert_eq!(shown["workspaceArmPath"], ws["id"]);

    let token = sim.ok("desktopvirtualization hostpool update -g rg -n hp --registration-info expiration-time=2099-01-01T00:00:00Z registration-token-operation=Update --query registrationInfo.token -o tsv");
    let out = vm_create(
        &sim,
        "vm-avd-sh-1",
        "MicrosoftWindowsDesktop:windows-11:win11-24h2-avd:latest",
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let script = format!(
        "$token = '{}'\nStart-Process -FilePath 'msiexec.exe' -ArgumentList \"/i agent.msi /quiet REGISTRATIONTOKEN=$token\" -Wait\n",
        token.trim()
    );
    sim.run_script("rg", "vm-avd-sh-1", &script);
    let hosts = sim.json("desktopvirtualization sessionhost list -g rg --host-pool-name hp");
    assert_eq!(hosts[0]["name"], "hp/vm-avd-sh-1");
    assert_eq!(hosts[0]["status"], "Available");
    let url = format!("https://management.azure.com{pool_id}/sessionHosts?api-version=2024-04-03");
    let rest = sim.json_args(&["rest", "--method", "get", "--url", &url]);
    assert_eq!(rest["value"][0]["properties"]["status"], "Available");

    let plan_url = "https://management.azure.com/subscriptions/{subscriptionId}/resourceGroups/rg/providers/Microsoft.DesktopVirtualization/scalingPlans/sp?api-version=2024-04-03";
    let before = sim.az_args(&["rest", "--method", "get", "--url", plan_url]);
    assert_eq!(code(&before), 1);
    assert!(
        stderr(&before).contains("Not Found({\"error\":{\"code\":\"ResourceNotFound\""),
        "{}",
        stderr(&before)
    );
    let body = r#"{"location":"westeurope","properties":{"timeZone":"W. Europe Standard Time","hostPoolType":"Pooled","schedules":[{"name":"weekdays"},{"name":"weekend"}],"hostPoolReferences":[]}}"#;
    sim.json_args(&["rest", "--method", "put", "--url", plan_url, "--body", body]);
    let patch = format!(
        r#"{{"properties":{{"hostPoolReferences":[{{"hostPoolArmPath":"{pool_id}","scalingPlanEnabled":true}}]}}}}"#
    );
    sim.json_args(&[
        "rest", "--method", "patch", "--url", plan_url, "--body", &patch,
    ]);
    let count = sim.ok(&format!(
        "rest --method get --url {plan_url} --query length(properties.schedules)"
    ));
    assert_eq!(count.trim(), "2");
    let plan = sim.json("desktopvirtualization scaling-plan show -g rg -n sp");
    assert_eq!(plan["hostPoolReferences"][0]["scalingPlanEnabled"], true);
}

#[test]
fn role_assignments_and_single_sign_on() {
    let sim = base().with_env("AVDEPLOY_SIM_TIME_SCALE", "1");
    let id = sim
        .ok("ad group create --display-name AVD-Users --mail-nickname avd-users --query id -o tsv");
    let id = id.trim();
    let scope = sim.json("group show -n rg")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assign = [
        "role",
        "assignment",
        "create",
        "--assignee-object-id",
        id,
        "--assignee-principal-type",
        "Group",
        "--role",
        "Virtual Machine User Login",
        "--scope",
        &scope,
    ];
    let early = sim.az_args(&assign);
    assert_eq!(code(&early), 1);
    assert!(
        stderr(&early).contains("(PrincipalNotFound) Principal"),
        "{}",
        stderr(&early)
    );
    assert!(sim.wait_until(std::time::Duration::from_secs(30), |_| code(
        &sim.az_args(&assign)
    ) == 0));
    let again = sim.az_args(&assign);
    assert!(stderr(&again).contains("(RoleAssignmentExists)"));
    let listed = sim.json(&format!(
        "role assignment list --assignee {id} --scope {scope}"
    ));
    assert_eq!(listed[0]["principalType"], "Group");
    assert_eq!(
        listed[0]["roleDefinitionName"],
        "Virtual Machine User Login"
    );
    let unknown = sim.az_args(&[
        "role",
        "assignment",
        "create",
        "--assignee-object-id",
        id,
        "--role",
        "Nope",
        "--scope",
        &scope,
    ]);
    assert!(stderr(&unknown).contains("Role 'Nope' doesn't exist."));

    let sp = sim.json("ad sp show --id 270efc09-cd0d-444b-a71f-39af4910ec45");
    let url = format!(
        "https://graph.microsoft.com/v1.0/servicePrincipals/{}/remoteDesktopSecurityConfiguration",
        sp["id"].as_str().unwrap()
    );
    let enabled = sim.ok(&format!(
        "rest --method get --url {url} --query isRemoteDesktopProtocolEnabled -o tsv"
    ));
    assert_eq!(enabled.trim(), "false");
    let body = r##"{"@odata.type": "#microsoft.graph.remoteDesktopSecurityConfiguration", "isRemoteDesktopProtocolEnabled": true}"##;
    assert_eq!(
        sim.ok_args(&["rest", "--method", "patch", "--url", &url, "--body", body]),
        ""
    );
    let enabled = sim.ok(&format!(
        "rest --method get --url {url} --query isRemoteDesktopProtocolEnabled -o tsv"
    ));
    assert_eq!(enabled.trim(), "true");
    let groups = format!("{url}/targetDeviceGroups");
    let device = format!(
        r##"{{"@odata.type": "#microsoft.graph.targetDeviceGroup", "id": "{id}", "displayName": "AVD-Users"}}"##
    );
    sim.json_args(&[
        "rest", "--method", "post", "--url", &groups, "--body", &device,
    ]);
    let listed = sim.json_args(&["rest", "--method", "get", "--url", &groups]);
    assert_eq!(listed["value"][0]["id"], id);
}
