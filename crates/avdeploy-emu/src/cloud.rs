//! The emulated cloud's endpoints: what `az cloud register` is given, and the Resource
//! Manager metadata document (`/metadata/endpoints`) it reads them from.

use serde_json::{Value, json};

/// The name the metadata document gives the cloud.
pub const CLOUD_NAME: &str = "AvdeployEmulator";

/// The URLs of the emulated cloud; identity, Resource Manager and Graph share one origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEndpoints {
    /// Entra ID (`--endpoint-active-directory`), `https://127.0.0.1:<port>`.
    pub active_directory: String,
    /// The token audience of Resource Manager (`--endpoint-active-directory-resource-id`).
    pub active_directory_resource_id: String,
    /// The legacy Graph audience (`--endpoint-active-directory-graph-resource-id`).
    pub active_directory_graph_resource_id: String,
    /// The image gallery endpoint (`--endpoint-gallery`).
    pub gallery: String,
    /// The management audience (`--endpoint-management`).
    pub management: String,
    /// The metadata document `az cloud register --endpoint-resource-manager` reads.
    pub metadata: String,
    /// Microsoft Graph, also its token audience (`microsoftGraphResourceId`).
    pub microsoft_graph_resource_id: String,
    /// Resource Manager (`--endpoint-resource-manager`), with a trailing slash.
    pub resource_manager: String,
    /// The VM image alias document (`--endpoint-vm-image-alias-doc`).
    pub vm_image_alias_doc: String,
}

impl CloudEndpoints {
    /// The endpoints of an emulator at `base_url` (no trailing slash).
    pub fn for_base(base_url: &str) -> Self {
        let root = format!("{base_url}/");
        Self {
            active_directory: base_url.to_owned(),
            active_directory_resource_id: root.clone(),
            active_directory_graph_resource_id: root.clone(),
            gallery: root.clone(),
            management: root.clone(),
            metadata: format!("{base_url}/metadata/endpoints?api-version=2022-09-01"),
            microsoft_graph_resource_id: root.clone(),
            resource_manager: root,
            vm_image_alias_doc: format!("{base_url}/metadata/vm-image-aliases"),
        }
    }

    /// The flags of `az cloud register --name NAME` that select these endpoints.
    pub fn register_args(&self) -> Vec<String> {
        [
            ("--endpoint-resource-manager", &self.resource_manager),
            ("--endpoint-active-directory", &self.active_directory),
            (
                "--endpoint-active-directory-resource-id",
                &self.active_directory_resource_id,
            ),
            (
                "--endpoint-active-directory-graph-resource-id",
                &self.active_directory_graph_resource_id,
            ),
            ("--endpoint-management", &self.management),
            ("--endpoint-gallery", &self.gallery),
            ("--endpoint-vm-image-alias-doc", &self.vm_image_alias_doc),
        ]
        .into_iter()
        .flat_map(|(flag, value)| [flag.to_owned(), value.clone()])
        .collect()
    }

    /// The `/metadata/endpoints` document in Resource Manager's format.
    pub(crate) fn metadata_document(&self) -> Value {
        json!({
            "name": CLOUD_NAME,
            "portal": self.active_directory,
            "authentication": {
                "loginEndpoint": self.active_directory,
                "audiences": [self.active_directory_resource_id],
                "tenant": "common",
                "identityProvider": "AAD",
            },
            "media": self.resource_manager,
            "graphAudience": self.active_directory_graph_resource_id,
            "graph": self.active_directory_graph_resource_id,
            "microsoftGraphResourceId": self.microsoft_graph_resource_id,
            "resourceManager": self.resource_manager,
            "gallery": self.gallery,
            "batch": self.resource_manager,
            "activeDirectoryDataLake": self.resource_manager,
            "sqlManagement": self.resource_manager,
            "vmImageAliasDoc": self.vm_image_alias_doc,
            "suffixes": {
                "acrLoginServer": "azurecr.io",
                "keyVaultDns": "vault.azure.net",
                "sqlServerHostname": "database.windows.net",
                "storage": "core.windows.net",
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_origin_for_every_endpoint() {
        let e = CloudEndpoints::for_base("https://127.0.0.1:9");
        assert_eq!(e.resource_manager, "https://127.0.0.1:9/");
        let args = e.register_args();
        assert_eq!(args[0], "--endpoint-resource-manager");
        assert_eq!(args.len(), 14);
        let doc = e.metadata_document();
        assert_eq!(
            doc["authentication"]["audiences"][0],
            "https://127.0.0.1:9/"
        );
        assert_eq!(doc["microsoftGraphResourceId"], "https://127.0.0.1:9/");
    }
}
