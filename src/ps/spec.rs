//! What the generated script must do: apps to download and install, and PowerShell blocks.

/// Everything needed to generate one operation's script.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScriptSpec {
    /// The operation the script belongs to.
    pub operation_id: String,
    /// How many download jobs or parallel blocks run at once.
    pub throttle: u32,
    /// Downloads and installs.
    pub apps: Option<AppsSpec>,
    /// Named PowerShell blocks.
    pub blocks: Vec<Block>,
}

/// Downloads (in parallel) and installs (one at a time).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppsSpec {
    /// Where downloads go on the VM.
    pub download_dir: String,
    /// The apps, installed in this order.
    pub items: Vec<AppItem>,
}

/// One app to download and install.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppItem {
    /// A display name.
    pub name: String,
    /// Where to download the file from.
    pub url: Option<String>,
    /// The file name inside the download directory.
    pub file: String,
    /// Expected SHA-256 of the file.
    pub sha256: Option<String>,
    /// Expected size of the file in bytes.
    pub size: Option<u64>,
    /// Download timeout in seconds.
    pub timeout_secs: u64,
    /// A tool run after the download, e.g. ODT's `setup.exe /download config.xml`.
    pub download_step: Option<ToolStep>,
    /// How to install it.
    pub install: Install,
}

/// A command run in the download directory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ToolStep {
    /// The program, relative to the download directory or absolute.
    pub command: String,
    /// Its arguments.
    pub args: String,
}

/// How an app is installed.
#[derive(Clone, Debug, PartialEq)]
pub struct Install {
    /// MSI, EXE or nothing.
    pub kind: InstallKind,
    /// Installer arguments.
    pub args: String,
    /// Exit codes that mean success.
    pub success_codes: Vec<i32>,
    /// Paths that must exist afterwards.
    pub verify: Vec<String>,
}

impl Default for Install {
    fn default() -> Self {
        Self {
            kind: InstallKind::None,
            args: String::new(),
            success_codes: vec![0, 1641, 3010],
            verify: Vec::new(),
        }
    }
}

/// The kind of installer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InstallKind {
    /// An executable installer.
    Exe,
    /// A Windows Installer package, run with msiexec.
    Msi,
    /// Download only.
    #[default]
    None,
}

/// A named PowerShell block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Block {
    /// The block's name, used to prefix its output.
    pub name: String,
    /// Whether it runs as a parallel job.
    pub parallel: bool,
    /// The PowerShell code.
    pub content: String,
}
