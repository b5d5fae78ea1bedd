//! The command catalog as data: for each simulated command group, its ARM provider and type
//! chain, the flags naming its parents and itself, and how long its writes take in Azure.

/// One level of a resource id: the flag that names it and the ARM collection it lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// The flag naming this level (`--vnet-name`), or `=name` for a fixed name (`=default`).
    pub flag: &'static str,
    /// The ARM collection (`virtualNetworks`).
    pub collection: &'static str,
}

/// A simulated command group and its resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// The command words before the verb (`network vnet subnet`).
    pub path: &'static str,
    /// The ARM resource provider (`Microsoft.Network`).
    pub provider: &'static str,
    /// Parents first, the resource itself last.
    pub chain: &'static [Segment],
    /// Seconds a create takes in Azure; updates and deletes take half.
    pub write_seconds: u32,
    /// The flag naming the virtual network whose writes this family's writes serialize on.
    pub vnet_flag: Option<&'static str>,
    /// The generic verbs it answers (normally [`GENERIC_VERBS`]).
    pub generic: &'static [&'static str],
    /// Verbs beyond the generic ones.
    pub extra_verbs: &'static [&'static str],
    /// The location when none is given: the resource group's, or a fixed one (`global`).
    pub fixed_location: Option<&'static str>,
}

impl Family {
    /// The flag naming the resource itself.
    pub fn name_flag(&self) -> &'static str {
        self.chain.last().map_or("--name", |segment| segment.flag)
    }

    /// The ARM type (`Microsoft.Network/virtualNetworks/subnets`).
    pub fn arm_type(&self) -> String {
        let collections: Vec<&str> = self.chain.iter().map(|s| s.collection).collect();
        format!("{}/{}", self.provider, collections.join("/"))
    }

    /// Whether `verb` is a command of this group.
    pub fn has_verb(&self, verb: &str) -> bool {
        self.generic.contains(&verb) || self.extra_verbs.contains(&verb)
    }
}

/// Verbs every family answers.
pub const GENERIC_VERBS: &[&str] = &[
    "create", "delete", "exists", "list", "show", "update", "wait",
];

/// Seconds a read (show, list, exists) takes.
pub const READ_SECONDS: f64 = 1.0;

/// Seconds a run command takes when the engine gives no hint.
pub const RUN_COMMAND_DEFAULT_SECONDS: f64 = 60.0;

const fn seg(flag: &'static str, collection: &'static str) -> Segment {
    Segment { flag, collection }
}

const fn family(
    path: &'static str,
    provider: &'static str,
    chain: &'static [Segment],
    write_seconds: u32,
) -> Family {
    Family {
        path,
        provider,
        chain,
        write_seconds,
        vnet_flag: None,
        generic: GENERIC_VERBS,
        extra_verbs: &[],
        fixed_location: None,
    }
}

/// Every generic resource family the simulator stores.
pub const FAMILIES: &[Family] = &[
    family(
        "group",
        "Microsoft.Resources",
        &[seg("--name", "resourceGroups")],
        3,
    ),
    Family {
        vnet_flag: Some("--name"),
        ..family(
            "network vnet",
            "Microsoft.Network",
            &[seg("--name", "virtualNetworks")],
            10,
        )
    },
    Family {
        vnet_flag: Some("--vnet-name"),
        ..family(
            "network vnet subnet",
            "Microsoft.Network",
            &[
                seg("--vnet-name", "virtualNetworks"),
                seg("--name", "subnets"),
            ],
            8,
        )
    },
    Family {
        vnet_flag: Some("--vnet-name"),
        ..family(
            "network vnet peering",
            "Microsoft.Network",
            &[
                seg("--vnet-name", "virtualNetworks"),
                seg("--name", "virtualNetworkPeerings"),
            ],
            10,
        )
    },
    family(
        "network route-table",
        "Microsoft.Network",
        &[seg("--name", "routeTables")],
        6,
    ),
    family(
        "network route-table route",
        "Microsoft.Network",
        &[
            seg("--route-table-name", "routeTables"),
            seg("--name", "routes"),
        ],
        4,
    ),
    family(
        "network nsg",
        "Microsoft.Network",
        &[seg("--name", "networkSecurityGroups")],
        6,
    ),
    family(
        "network nsg rule",
        "Microsoft.Network",
        &[
            seg("--nsg-name", "networkSecurityGroups"),
            seg("--name", "securityRules"),
        ],
        4,
    ),
    Family {
        fixed_location: Some("global"),
        ..family(
            "network private-dns zone",
            "Microsoft.Network",
            &[seg("--name", "privateDnsZones")],
            30,
        )
    },
    Family {
        fixed_location: Some("global"),
        ..family(
            "network private-dns link vnet",
            "Microsoft.Network",
            &[
                seg("--zone-name", "privateDnsZones"),
                seg("--name", "virtualNetworkLinks"),
            ],
            30,
        )
    },
    Family {
        vnet_flag: Some("--vnet-name"),
        ..family(
            "network private-endpoint",
            "Microsoft.Network",
            &[seg("--name", "privateEndpoints")],
            40,
        )
    },
    family(
        "network private-endpoint dns-zone-group",
        "Microsoft.Network",
        &[
            seg("--endpoint-name", "privateEndpoints"),
            seg("--name", "privateDnsZoneGroups"),
        ],
        10,
    ),
    family(
        "network public-ip",
        "Microsoft.Network",
        &[seg("--name", "publicIPAddresses")],
        5,
    ),
    family(
        "network nic",
        "Microsoft.Network",
        &[seg("--name", "networkInterfaces")],
        5,
    ),
    family(
        "storage account",
        "Microsoft.Storage",
        &[seg("--name", "storageAccounts")],
        25,
    ),
    family(
        "storage share-rm",
        "Microsoft.Storage",
        &[
            seg("--storage-account", "storageAccounts"),
            seg("=default", "fileServices"),
            seg("--name", "shares"),
        ],
        5,
    ),
    family(
        "vm",
        "Microsoft.Compute",
        &[seg("--name", "virtualMachines")],
        120,
    ),
    Family {
        extra_verbs: &["set"],
        ..family(
            "vm extension",
            "Microsoft.Compute",
            &[
                seg("--vm-name", "virtualMachines"),
                seg("--name", "extensions"),
            ],
            90,
        )
    },
    family("disk", "Microsoft.Compute", &[seg("--name", "disks")], 10),
    family(
        "sig",
        "Microsoft.Compute",
        &[seg("--gallery-name", "galleries")],
        30,
    ),
    family(
        "sig image-definition",
        "Microsoft.Compute",
        &[
            seg("--gallery-name", "galleries"),
            seg("--gallery-image-definition", "images"),
        ],
        15,
    ),
    family(
        "sig image-version",
        "Microsoft.Compute",
        &[
            seg("--gallery-name", "galleries"),
            seg("--gallery-image-definition", "images"),
            seg("--gallery-image-version", "versions"),
        ],
        900,
    ),
    family(
        "desktopvirtualization hostpool",
        "Microsoft.DesktopVirtualization",
        &[seg("--name", "hostPools")],
        10,
    ),
    family(
        "desktopvirtualization applicationgroup",
        "Microsoft.DesktopVirtualization",
        &[seg("--name", "applicationGroups")],
        8,
    ),
    family(
        "desktopvirtualization workspace",
        "Microsoft.DesktopVirtualization",
        &[seg("--name", "workspaces")],
        8,
    ),
    family(
        "desktopvirtualization scaling-plan",
        "Microsoft.DesktopVirtualization",
        &[seg("--name", "scalingPlans")],
        8,
    ),
    Family {
        generic: &["delete", "list", "show", "update"],
        ..family(
            "desktopvirtualization sessionhost",
            "Microsoft.DesktopVirtualization",
            &[
                seg("--host-pool-name", "hostPools"),
                seg("--name", "sessionHosts"),
            ],
            5,
        )
    },
    family(
        "monitor log-analytics workspace",
        "Microsoft.OperationalInsights",
        &[seg("--workspace-name", "workspaces")],
        20,
    ),
    family(
        "keyvault",
        "Microsoft.KeyVault",
        &[seg("--name", "vaults")],
        20,
    ),
    family(
        "identity",
        "Microsoft.ManagedIdentity",
        &[seg("--name", "userAssignedIdentities")],
        5,
    ),
];

/// The family whose path is the longest prefix of `words`, and the verb after it.
pub fn find(words: &[String]) -> Option<(&'static Family, Option<&str>)> {
    FAMILIES
        .iter()
        .filter(|family| {
            let path: Vec<&str> = family.path.split(' ').collect();
            words.len() >= path.len() && words.iter().zip(&path).all(|(w, p)| w == p)
        })
        .max_by_key(|family| family.path.split(' ').count())
        .map(|family| {
            let depth = family.path.split(' ').count();
            (family, words.get(depth).map(String::as_str))
        })
}

/// The family stored under exactly this path.
pub fn by_path(path: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|family| family.path == path)
}

/// Whether a family's flags map to ARM properties by its own rules (instead of camelCase copies).
pub fn is_shaped(path: &str) -> bool {
    ["network ", "storage ", "desktopvirtualization ", "sig"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
        || matches!(path, "vm" | "vm extension" | "disk")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn longest_path_wins() {
        let words = words("network vnet subnet create");
        let (family, verb) = find(&words).unwrap();
        assert_eq!(family.path, "network vnet subnet");
        assert_eq!(verb, Some("create"));
        assert_eq!(
            family.arm_type(),
            "Microsoft.Network/virtualNetworks/subnets"
        );
    }

    #[test]
    fn fixed_segments_appear_in_the_type() {
        let share = by_path("storage share-rm").unwrap();
        assert_eq!(
            share.arm_type(),
            "Microsoft.Storage/storageAccounts/fileServices/shares"
        );
        assert_eq!(
            by_path("sig image-version").unwrap().name_flag(),
            "--gallery-image-version"
        );
    }

    #[test]
    fn paths_are_unique() {
        for (i, a) in FAMILIES.iter().enumerate() {
            assert!(
                FAMILIES[i + 1..].iter().all(|b| b.path != a.path),
                "{}",
                a.path
            );
        }
    }
}
