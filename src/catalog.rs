//! The deployment catalog built into the binary: `avdeploy init` writes it out as a working
//! folder. Today it is the quickstart example.

/// One file of the catalog: its path relative to the deployment folder, and its text.
pub struct CatalogFile {
    /// Relative path.
    pub path: &'static str,
    /// Contents.
    pub text: &'static str,
}

macro_rules! catalog {
    ($($path:literal),* $(,)?) => {
        &[$(CatalogFile {
            path: $path,
            text: include_str!(concat!("../examples/quickstart/", $path)),
        }),*]
    };
}

/// Every file of the quickstart deployment.
pub const QUICKSTART: &[CatalogFile] = catalog![
    "config.yaml",
    "modules/00-resource-group/module.yaml",
    "modules/00-resource-group/operations/01-create-resource-group.yaml",
    "modules/01-networking/module.yaml",
    "modules/01-networking/operations/01-create-vnet.yaml",
    "modules/01-networking/operations/02-create-nsg-sessionhosts.yaml",
    "modules/01-networking/operations/03-create-nsg-privateendpoints.yaml",
    "modules/01-networking/operations/04-create-subnets.yaml",
    "modules/02-storage/module.yaml",
    "modules/02-storage/operations/01-create-account.yaml",
    "modules/02-storage/operations/02-create-share.yaml",
    "modules/05-golden-image/module.yaml",
    "modules/05-golden-image/operations/01-create-vm.yaml",
    "modules/05-golden-image/operations/02-install-apps.yaml",
    "modules/05-golden-image/operations/03-configure.yaml",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn files_under(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            // What a run of the example leaves behind (git-ignored) is not part of it.
            if path.ends_with("artifacts") || path.ends_with(".avdeploy") {
                continue;
            }
            if path.is_dir() {
                files_under(&path, root, out);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }

    #[test]
    fn the_catalog_holds_every_file_of_the_example() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart");
        let mut on_disk = Vec::new();
        files_under(&root, &root, &mut on_disk);
        on_disk.sort();
        let mut listed: Vec<String> = QUICKSTART.iter().map(|f| f.path.to_owned()).collect();
        listed.sort();
        assert_eq!(listed, on_disk);
    }
}
