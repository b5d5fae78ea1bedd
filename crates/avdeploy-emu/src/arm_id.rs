//! Where a Resource Manager path points: the subscription, a resource group, a resource by its
//! ARM id (nested and extension resources included), a collection to list, an action, or one of
//! the emulator's own long-running operations.

/// One resource named by a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceRef {
    /// The ARM id as the client wrote it (resource groups are spelt `resourceGroups`).
    pub(crate) id: String,
    /// The subscription id.
    pub(crate) subscription: String,
    /// The resource group, if the id is inside one.
    pub(crate) group: Option<String>,
    /// The full type, e.g. `Microsoft.Network/virtualNetworks/subnets`.
    pub(crate) type_name: String,
    /// The last name segment.
    pub(crate) name: String,
    /// The id of the parent resource of a nested resource.
    pub(crate) parent: Option<String>,
    /// The id the resource's provider segment hangs under (a group, a subscription or, for an
    /// extension resource, another resource).
    pub(crate) scope: String,
}

impl ResourceRef {
    /// Whether this is a resource group.
    pub(crate) fn is_group(&self) -> bool {
        self.type_name.eq_ignore_ascii_case(GROUP_TYPE)
    }

    /// The type and names as ARM's not-found text writes them (`Microsoft.X/a/n1/b/n2`).
    pub(crate) fn typed_name(&self) -> String {
        let provider = self
            .id
            .rfind("/providers/")
            .map_or("", |i| &self.id[i + "/providers/".len()..]);
        provider.to_owned()
    }
}

/// The resource group type.
pub(crate) const GROUP_TYPE: &str = "Microsoft.Resources/resourceGroups";

/// What a Resource Manager path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A resource followed by one more segment: an action (POST, `instanceView`) or a child
    /// collection.
    Trailing {
        /// The resource before the last segment.
        resource: ResourceRef,
        /// The last segment.
        segment: String,
    },
    /// A collection directly under a scope (`/subscriptions/s/providers/Microsoft.X/things`).
    Collection {
        /// The scope listed.
        scope: String,
        /// The listed type.
        type_name: String,
    },
    /// `/subscriptions/{s}/resourcegroups`.
    Groups {
        /// The subscription id.
        subscription: String,
    },
    /// One of the emulator's long-running operations.
    Operation {
        /// The operation id.
        id: String,
        /// `operationResults` (Location) rather than `operations` (Azure-AsyncOperation).
        result: bool,
    },
    /// `/subscriptions/{s}/providers/{namespace}`.
    Provider {
        /// The namespace.
        namespace: String,
    },
    /// One resource (a resource group too).
    Resource(ResourceRef),
    /// `/subscriptions/{s}[/resourceGroups/{g}]/resources`.
    Resources {
        /// The subscription id.
        subscription: String,
        /// The resource group, if any.
        group: Option<String>,
    },
    /// `/subscriptions/{s}`.
    Subscription {
        /// The subscription id.
        subscription: String,
    },
    /// `/subscriptions`.
    Subscriptions,
    /// `/tenants`.
    Tenants,
}

/// Reads an ARM path; `None` when it is not one.
pub(crate) fn parse(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let is = |i: usize, word: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(word));
    match segs.len() {
        1 if is(0, "subscriptions") => return Some(Target::Subscriptions),
        1 if is(0, "tenants") => return Some(Target::Tenants),
        _ => {}
    }
    if !is(0, "subscriptions") || segs.len() < 2 {
        return None;
    }
    let subscription = segs[1].to_owned();
    if let Some(p) = segs
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))
    {
        return provider_target(&segs, p, subscription);
    }
    match segs.len() {
        2 => Some(Target::Subscription { subscription }),
        3 if is(2, "resourcegroups") => Some(Target::Groups { subscription }),
        3 if is(2, "resources") => Some(Target::Resources {
            subscription,
            group: None,
        }),
        4 if is(2, "resourcegroups") => Some(Target::Resource(group_ref(&subscription, segs[3]))),
        5 if is(2, "resourcegroups") && is(4, "resources") => Some(Target::Resources {
            subscription,
            group: Some(segs[3].to_owned()),
        }),
        5 if is(2, "resourcegroups") => Some(Target::Trailing {
            resource: group_ref(&subscription, segs[3]),
            segment: segs[4].to_owned(),
        }),
        _ => None,
    }
}

/// The reference of resource group `name`.
pub(crate) fn group_ref(subscription: &str, name: &str) -> ResourceRef {
    let scope = format!("/subscriptions/{subscription}");
    ResourceRef {
        id: format!("{scope}/resourceGroups/{name}"),
        subscription: subscription.to_owned(),
        group: Some(name.to_owned()),
        type_name: GROUP_TYPE.to_owned(),
        name: name.to_owned(),
        parent: None,
        scope,
    }
}

fn provider_target(segs: &[&str], p: usize, subscription: String) -> Option<Target> {
    let namespace = (*segs.get(p + 1)?).to_owned();
    let rest = &segs[p + 2..];
    let scope_segs = &segs[..p];
    let scope = canonical_scope(scope_segs);
    if rest.is_empty() {
        return Some(Target::Provider { namespace });
    }
    if p == 2 && rest.len() == 4 && rest[0].eq_ignore_ascii_case("locations") {
        let kind = rest[2];
        if kind.eq_ignore_ascii_case("operations") || kind.eq_ignore_ascii_case("operationResults")
        {
            return Some(Target::Operation {
                id: rest[3].to_owned(),
                result: kind.eq_ignore_ascii_case("operationResults"),
            });
        }
    }
    let group = (scope_segs.len() >= 4 && scope_segs[2].eq_ignore_ascii_case("resourcegroups"))
        .then(|| scope_segs[3].to_owned());
    let named = rest.len() - rest.len() % 2;
    if named == 0 {
        return Some(Target::Collection {
            scope,
            type_name: format!("{namespace}/{}", rest[0]),
        });
    }
    let types: Vec<&str> = rest[..named].iter().step_by(2).copied().collect();
    let id = format!("{scope}/providers/{namespace}/{}", rest[..named].join("/"));
    let parent = (types.len() > 1).then(|| {
        format!(
            "{scope}/providers/{namespace}/{}",
            rest[..named - 2].join("/")
        )
    });
    let resource = ResourceRef {
        id,
        subscription,
        group,
        type_name: format!("{namespace}/{}", types.join("/")),
        name: rest[named - 1].to_owned(),
        parent,
        scope,
    };
    if rest.len() % 2 == 1 {
        return Some(Target::Trailing {
            resource,
            segment: rest[named].to_owned(),
        });
    }
    Some(Target::Resource(resource))
}

/// The scope with `resourcegroups` spelt as ARM spells it in ids.
fn canonical_scope(segs: &[&str]) -> String {
    let mut out = String::new();
    for (i, seg) in segs.iter().enumerate() {
        out.push('/');
        if i == 2 && seg.eq_ignore_ascii_case("resourcegroups") {
            out.push_str("resourceGroups");
        } else if i == 0 {
            out.push_str("subscriptions");
        } else {
            out.push_str(seg);
        }
    }
    out
}

/// The resource named by a full ARM id (for references inside bodies and templates).
pub(crate) fn resource(id: &str) -> Option<ResourceRef> {
    match parse(id)? {
        Target::Resource(r) => Some(r),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RG: &str = "/subscriptions/s1/resourcegroups/rg1";

    #[test]
    fn groups_and_nested_resources() {
        let Some(Target::Resource(rg)) = parse(RG) else {
            panic!()
        };
        assert!(rg.is_group());
        assert_eq!(rg.id, "/subscriptions/s1/resourceGroups/rg1");
        let subnet = format!("{RG}/providers/Microsoft.Network/virtualNetworks/v1/subnets/s");
        let Some(Target::Resource(r)) = parse(&subnet) else {
            panic!()
        };
        assert_eq!(r.type_name, "Microsoft.Network/virtualNetworks/subnets");
        assert_eq!(r.name, "s");
        assert_eq!(r.group.as_deref(), Some("rg1"));
        assert_eq!(
            r.parent.as_deref(),
            Some(
                "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v1"
            )
        );
        assert_eq!(
            r.typed_name(),
            "Microsoft.Network/virtualNetworks/v1/subnets/s"
        );
    }

    #[test]
    fn actions_collections_and_operations() {
        let run = format!("{RG}/providers/Microsoft.Compute/virtualMachines/vm/runCommand");
        let Some(Target::Trailing { resource, segment }) = parse(&run) else {
            panic!()
        };
        assert_eq!(segment, "runCommand");
        assert_eq!(resource.name, "vm");
        assert_eq!(
            parse("/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions"),
            Some(Target::Collection {
                scope: "/subscriptions/s1".into(),
                type_name: "Microsoft.Authorization/roleDefinitions".into()
            })
        );
        assert_eq!(
            parse("/subscriptions/s1/providers/Microsoft.Network/locations/x/operationResults/o1"),
            Some(Target::Operation {
                id: "o1".into(),
                result: true
            })
        );
        assert_eq!(parse("/subscriptions"), Some(Target::Subscriptions));
        assert_eq!(parse("/other"), None);
    }

    #[test]
    fn extension_resources_hang_under_their_scope() {
        let sa = format!("{RG}/providers/Microsoft.Storage/storageAccounts/sa");
        let id = format!("{sa}/providers/Microsoft.Authorization/roleAssignments/g1");
        let Some(Target::Resource(r)) = parse(&id) else {
            panic!()
        };
        assert_eq!(r.type_name, "Microsoft.Authorization/roleAssignments");
        assert_eq!(r.scope, sa.replace("resourcegroups", "resourceGroups"));
        assert_eq!(r.parent, None);
        assert_eq!(r.group.as_deref(), Some("rg1"));
    }
}
