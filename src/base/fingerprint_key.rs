//! The deployment's private fingerprint key (`.avdeploy/fingerprint.key`, mode 0600): 32 random
//! bytes that key every hash of a fingerprint (HMAC-SHA256), so that a stored hash reveals
//! nothing about a value, not even whether it equals a guess.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The key file could not be read, written or understood.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} the fingerprint key `{path}`")]
pub(crate) struct KeyError {
    /// What was being done.
    action: &'static str,
    /// The key file.
    path: PathBuf,
    /// Why.
    #[source]
    source: std::io::Error,
}

/// How many random bytes make a key.
const KEY_BYTES: usize = 32;

/// A key for fingerprint hashes.
#[derive(Clone)]
pub(crate) struct FingerprintKey {
    bytes: [u8; KEY_BYTES],
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FingerprintKey(***)")
    }
}

impl FingerprintKey {
    /// The key stored at `path`, created (from the system's random source, mode 0600) when
    /// there is none yet.
    pub(crate) fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        if let Some(key) = Self::read(path)? {
            return Ok(key);
        }
        let mut bytes = [0u8; KEY_BYTES];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut random| random.read_exact(&mut bytes))
            .map_err(file_error(
                "read random bytes for",
                Path::new("/dev/urandom"),
            ))?;
        let temporary = path.with_extension(format!("key.{}.tmp", std::process::id()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .and_then(|mut file| {
                file.write_all(hex(&bytes).as_bytes())?;
                file.sync_all()
            })
            .and_then(|()| std::fs::rename(&temporary, path));
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(file_error("write", path)(error));
        }
        Ok(Self { bytes })
    }

    /// The key stored at `path`; `None` when there is none (no fingerprint was recorded yet).
    pub(crate) fn read(path: &Path) -> Result<Option<Self>, KeyError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(file_error("read", path)(error)),
        };
        let bytes = unhex(text.trim()).ok_or_else(|| {
            file_error("understand", path)(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not 64 hexadecimal digits",
            ))
        })?;
        Ok(Some(Self { bytes }))
    }

    /// The keyed hash (HMAC-SHA256, hex) of `parts`, each length-prefixed so that no two
    /// different lists of parts hash alike.
    pub(crate) fn hash(&self, parts: &[&[u8]]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.bytes).expect("HMAC takes any key");
        for part in parts {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        hex(&mac.finalize().into_bytes())
    }
}

fn file_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> KeyError {
    let path: PathBuf = path.to_owned();
    move |source| KeyError {
        action,
        path,
        source,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; KEY_BYTES]> {
    if text.len() != KEY_BYTES * 2 || !text.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; KEY_BYTES];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_key_is_created_private_once_and_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("fingerprint.key");
        assert!(FingerprintKey::read(&path).expect("read").is_none());
        let key = FingerprintKey::load_or_create(&path).expect("create");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = FingerprintKey::load_or_create(&path).expect("load");
        assert_eq!(key.hash(&[b"x"]), again.hash(&[b"x"]));
        let other = FingerprintKey::load_or_create(&dir.path().join("other.key")).expect("new");
        assert_ne!(key.hash(&[b"x"]), other.hash(&[b"x"]));
    }

    #[test]
    fn parts_are_kept_apart_and_hashes_are_keyed() {
        let key = FingerprintKey {
            bytes: [7; KEY_BYTES],
        };
        assert_ne!(key.hash(&[b"ab", b"c"]), key.hash(&[b"a", b"bc"]));
        assert_eq!(key.hash(&[b"v"]).len(), 64);
        // Not the plain SHA-256 of the value.
        assert_ne!(
            key.hash(&[b""]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_damaged_key_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("fingerprint.key");
        std::fs::write(&path, "zz").expect("write");
        assert!(FingerprintKey::read(&path).is_err());
    }
}
