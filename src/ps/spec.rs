//! What a generated script does: downloads and installs (`apps:`) and named PowerShell blocks
//! (`blocks:`). Plain data with `{{VARS}}` already substituted; the loader fills it.

/// Default number of concurrent jobs (downloads, download steps, parallel blocks).
pub const DEFAULT_THROTTLE: u32 = 5;

/// Default folder on the VM that downloads go to.
pub const DEFAULT_DOWNLOAD_DIR: &str = r"C:\Temp\avdeploy";

/// Default limit, in seconds, for one item's download or download step.
pub const DEFAULT_TIMEOUT_SECS: u64 = 900;

/// Folder on the VM for the output of blocks, one file per block under a folder per operation.
pub const BLOCK_LOG_DIR: &str = r"C:\Windows\Temp\avdeploy";

/// The longest `timeout:` accepted for an item or a block, in seconds (a day; run command itself
/// stops a script after 90 minutes unless it is a managed one).
pub const MAX_TIMEOUT_SECS: u64 = 86_400;

/// Installer exit codes accepted by default: success, reboot started, reboot required.
pub const DEFAULT_SUCCESS_CODES: [i32; 3] = [0, 1641, 3010];

/// Everything one generated run-command script does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptSpec {
    /// The operation the script belongs to, named in its header and summary.
    pub operation_id: String,
    /// Jobs running at once, for downloads and for parallel blocks (0 is taken as 1).
    pub throttle: u32,
    /// Parallel downloads then sequential installs, if the operation has `apps:`.
    pub apps: Option<AppsSpec>,
    /// Named PowerShell blocks, run after the apps.
    pub blocks: Vec<Block>,
}

impl Default for ScriptSpec {
    fn default() -> Self {
        Self {
            operation_id: String::new(),
            throttle: DEFAULT_THROTTLE,
            apps: None,
            blocks: Vec::new(),
        }
    }
}

/// The `apps:` section: where files go and what to fetch and install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppsSpec {
    /// Folder on the VM for downloaded files (created if missing).
    pub download_dir: String,
    /// Applications, installed in this order.
    pub items: Vec<AppItem>,
}

impl Default for AppsSpec {
    fn default() -> Self {
        Self {
            download_dir: DEFAULT_DOWNLOAD_DIR.to_owned(),
            items: Vec::new(),
        }
    }
}

/// One application: an optional download, an optional download step, an install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppItem {
    /// Display name, used in every marker about this item.
    pub name: String,
    /// Where to download `file` from; `None` when the file is already on the VM or made by
    /// `download_step`.
    pub url: Option<String>,
    /// The downloaded file and the installer: relative to the download folder, or absolute.
    pub file: String,
    /// Expected SHA-256 of `file` (hex, any case).
    pub sha256: Option<String>,
    /// Expected size of `file` in bytes.
    pub size: Option<u64>,
    /// Limit for this item's download, download step and install, each, in seconds.
    pub timeout_secs: u64,
    /// A tool run after all downloads to fetch more content (ODT's `setup.exe /download`).
    pub download_step: Option<ToolStep>,
    /// How the item is installed and checked.
    pub install: Install,
}

impl Default for AppItem {
    fn default() -> Self {
        Self {
            name: String::new(),
            url: None,
            file: String::new(),
            sha256: None,
            size: None,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            download_step: None,
            install: Install::default(),
        }
    }
}

/// A program run on the VM with arguments, expected to exit 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolStep {
    /// The program, relative to the download folder or absolute (e.g. `setup.exe`).
    pub command: String,
    /// Its arguments as one string (e.g. `/download config.xml`).
    pub args: String,
}

/// How an item is installed, which exit codes mean success, which paths must exist afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    /// Installer type.
    pub kind: InstallKind,
    /// Arguments: added after `/i <file> /qn /norestart /l*v <log>` for an MSI, passed to the
    /// program for an EXE.
    pub args: String,
    /// Exit codes that count as success; 1641 and 3010 also report a pending reboot.
    pub success_codes: Vec<i32>,
    /// Paths that must exist once the item is installed.
    pub verify: Vec<String>,
}

impl Default for Install {
    fn default() -> Self {
        Self {
            kind: InstallKind::Exe,
            args: String::new(),
            success_codes: DEFAULT_SUCCESS_CODES.to_vec(),
            verify: Vec::new(),
        }
    }
}

/// Installer type of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallKind {
    /// A program run with the item's arguments.
    Exe,
    /// A Windows Installer package, run with `msiexec.exe /i`.
    Msi,
    /// Nothing to run: the item is only downloaded (and its verify paths checked).
    None,
}

/// A named piece of PowerShell, run as a job of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block {
    /// Name used to prefix the block's output.
    pub name: String,
    /// Whether the block runs alongside the other parallel blocks, or in order after them.
    pub parallel: bool,
    /// The PowerShell code.
    pub content: String,
    /// What an error of a cmdlet or function in the block does.
    pub error_action: ErrorAction,
    /// Limit for the block, in seconds; 0 for none of its own.
    pub timeout_secs: u64,
}

/// A block's `error_action:`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ErrorAction {
    /// Errors are reported as warnings and the block goes on; a non-zero exit code of its last
    /// native command is a warning.
    #[default]
    Continue,
    /// The first error of a cmdlet or function fails the block, and so does a non-zero exit code
    /// of its last native command. StdErr output of native commands is never an error.
    Stop,
}

impl ErrorAction {
    /// The PowerShell name of the preference.
    pub fn name(self) -> &'static str {
        match self {
            Self::Continue => "Continue",
            Self::Stop => "Stop",
        }
    }
}

impl AppItem {
    /// Whether the item is installed or checked in the install phase.
    pub fn has_install(&self) -> bool {
        self.install.kind != InstallKind::None || !self.install.verify.is_empty()
    }
}
