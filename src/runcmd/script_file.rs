//! How a run-command script reaches `az`: always as `--scripts @<file>`, the file in a private
//! (0700) temporary folder that the operation's bash creates and removes, so that a script's
//! text, secrets included, never appears in an argument list (`/proc/<pid>/cmdline`).

/// Where the operation's bash finds the script to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptSource {
    /// In the environment variable `AVD_SCRIPT` (a script holding a secret: never on disk
    /// outside the private folder).
    Environment,
    /// In the file named by `AVD_SCRIPT_FILE` (the rendered script under `artifacts/scripts/`).
    File,
}

/// The environment variable holding a script that contains a secret.
pub const SCRIPT_VAR: &str = "AVD_SCRIPT";

/// The environment variable naming the rendered script file of a script without secrets.
pub const SCRIPT_FILE_VAR: &str = "AVD_SCRIPT_FILE";

/// The largest script passed through the environment: Linux refuses a single environment string
/// over 128 KiB (`MAX_ARG_STRLEN`) when the process starts.
pub const MAX_ENV_SCRIPT_BYTES: usize = 128 * 1024 - 64;

/// The bash variable holding the `@<file>` argument once [`prepare`] has run.
pub const SCRIPTS_ARG: &str = "@$avd_script";

/// Bash that creates the private folder (`mktemp -d`: mode 0700), writes the script into it with
/// umask 077 using only shell builtins or `cp` (whose arguments are paths), and removes the folder
/// when the script exits, is terminated or interrupted. After it, `"@$avd_script"` is the
/// argument for `--scripts`/`--script`.
pub fn prepare(source: ScriptSource) -> String {
    let write = match source {
        ScriptSource::Environment => format!("printf '%s' \"${SCRIPT_VAR}\" > \"$avd_script\""),
        ScriptSource::File => format!("cp -- \"${SCRIPT_FILE_VAR}\" \"$avd_script\""),
    };
    format!(
        r#"avd_dir=$(umask 077 && mktemp -d "${{TMPDIR:-/tmp}}/avdeploy-script.XXXXXXXX")
trap 'rm -rf -- "$avd_dir"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
avd_script="$avd_dir/$AVD_OPERATION_ID.ps1"
(umask 077 && {write})
"#
    )
}

/// Bash that removes the private folder as soon as `az` has read the script.
pub const REMOVE: &str = "rm -rf -- \"$avd_dir\"\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_text_never_becomes_an_argument() {
        let env = prepare(ScriptSource::Environment);
        assert!(env.contains("printf '%s' \"$AVD_SCRIPT\" > \"$avd_script\""));
        assert!(env.contains("mktemp -d"));
        let file = prepare(ScriptSource::File);
        assert!(file.contains("cp -- \"$AVD_SCRIPT_FILE\" \"$avd_script\""));
        for text in [env, file] {
            assert!(text.contains("trap 'rm -rf -- \"$avd_dir\"' EXIT"));
        }
    }
}
