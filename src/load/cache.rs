//! The load cache: operations decoded by an earlier load, so a large deployment whose files did
//! not change is not parsed again.
//!
//! `.avdeploy/cache/operations.bin` starts with a header naming the format and the avdeploy
//! binary that wrote it, then holds one entry per operation file that decoded without a
//! finding: its path relative to the deployment folder, its [`Stamp`] (size, modification and
//! change times, inode and device), and the decoded operation. An entry is used only while the
//! file's stamp is the same, the way `git status` trusts its index; a file changed within the
//! last seconds of being read is not stored, so a change within one tick of a coarse file
//! system clock cannot go unseen. The cache is read on a thread of its own while the loader
//! lists and stamps the operation files, and matched with them as they come, so only the
//! operations of unchanged files are decoded and held. A cache that cannot be read, is
//! corrupt, or was written by another avdeploy binary is ignored, and written again.
//!
//! Operations whose decoding reads config.yaml (`apps:` and `blocks:`) are never stored, and
//! only commands that do not run anything consult the cache: what `run`, `resume` and
//! `destroy` execute is always decoded from the files themselves.

use std::io::{BufReader, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::model::operation::{Operation, PowerShell};

/// Whether a load may use the load cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheUse {
    /// Take unchanged operations from the cache and bring it up to date.
    Use,
    /// As `Use`, for a command that only checks (`validate`): in a large deployment the text of
    /// each bash script is let go once loaded, what the checks need of it being kept apart
    /// ([`crate::model::shell_facts::ShellFacts`]); a finding that quotes it reads it again.
    Check,
    /// Decode every file; leave the cache alone (`--no-cache`, commands that run operations).
    Off,
}

/// Operation files below which the cache is neither read nor written: parsing them is about as
/// quick as reading the cache.
pub const MIN_FILES: usize = 256;

/// Seconds within which a file changed too recently to be stored.
const RACY_SECONDS: u64 = 3;

/// The first bytes of a cache file.
const MAGIC: [u8; 8] = *b"avdcache";

/// The layout of the cache file; any change to it or to the model's serialized form changes
/// the binary, which the header names as well.
const FORMAT: u32 = 1;

/// The largest entry read: far above what an 8 MiB operation file decodes to.
const MAX_ENTRY_BYTES: usize = 64 * 1024 * 1024;

/// What `stat` says of a file: when any of it differs, the file may have changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    size: u64,
    modified: (i64, i64),
    changed: (i64, i64),
    inode: u64,
    device: u64,
}

impl Stamp {
    /// The stamp of the file at `path` (following links, like reading it does).
    pub fn of(path: &Path) -> Option<Self> {
        std::fs::metadata(path).ok().map(|meta| Self::from(&meta))
    }

    /// The stamp of the folder entry `entry`, taken through its folder (following a link, as
    /// [`Stamp::of`] does).
    pub fn of_entry(entry: &std::fs::DirEntry) -> Option<Self> {
        match entry.metadata() {
            Ok(meta) if !meta.file_type().is_symlink() => Some(Self::from(&meta)),
            _ => Self::of(&entry.path()),
        }
    }

    /// Whether the file was modified or changed within [`RACY_SECONDS`] before `now` (or after
    /// it): a later change within the same clock tick could keep the same stamp.
    pub fn is_recent(&self, now: SystemTime) -> bool {
        let since_epoch = |(secs, nanos): (i64, i64)| {
            let secs = u64::try_from(secs).unwrap_or(0);
            let nanos = u32::try_from(nanos).unwrap_or(0);
            Duration::new(secs, 0).saturating_add(Duration::from_nanos(nanos.into()))
        };
        let threshold = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_sub(Duration::from_secs(RACY_SECONDS));
        since_epoch(self.modified) >= threshold || since_epoch(self.changed) >= threshold
    }
}

impl From<&std::fs::Metadata> for Stamp {
    fn from(meta: &std::fs::Metadata) -> Self {
        Self {
            size: meta.size(),
            modified: (meta.mtime(), meta.mtime_nsec()),
            changed: (meta.ctime(), meta.ctime_nsec()),
            inode: meta.ino(),
            device: meta.dev(),
        }
    }
}

/// The start of a cache file: its format and the binary that wrote it.
#[derive(PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Header {
    magic: [u8; 8],
    format: u32,
    version: String,
    binary: Stamp,
}

impl Header {
    /// The header this binary writes and accepts; `None` when the binary cannot be found, and
    /// then no cache is used.
    fn current() -> Option<Self> {
        let mut binary = Stamp::of(&std::env::current_exe().ok()?)?;
        // A new hard link to the binary (a profiler's build-id cache, cargo's copy in target/)
        // changes its change time but not the binary: another build has another modification
        // time, and mostly another inode.
        binary.changed = (0, 0);
        Some(Self {
            magic: MAGIC,
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            binary,
        })
    }

    /// The header this binary writes; an error when the binary cannot be found.
    fn written() -> std::io::Result<Self> {
        Self::current().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the running binary is not found",
            )
        })
    }
}

/// One operation file as stored.
#[derive(serde::Serialize)]
pub struct Entry<'a> {
    /// The path relative to the deployment folder.
    pub relative: &'a Path,
    /// The file's stamp when it was read.
    pub stamp: Stamp,
    /// Whether the file gives `operation.duration` itself.
    pub has_duration: bool,
    /// The operation as decoded (before its module entry's duration applies).
    pub operation: &'a Operation,
}

/// Where an entry lies in the cache file it was read from: a rewrite copies its bytes from
/// there instead of serializing its operation again (whose script text may be let go).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Where its length prefix starts.
    offset: u64,
    /// Its length, prefix included.
    len: u32,
}

/// One entry of a cache being written.
pub enum Stored<'a> {
    /// An entry of the file being replaced, as it is.
    Kept(Record),
    /// An entry decoded by this load.
    New(Entry<'a>),
}

/// The beginning of a stored entry: enough to match it with a listed file before its operation
/// is decoded.
#[derive(serde::Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    relative: &'a Path,
    stamp: Stamp,
    has_duration: bool,
}

/// A listed file whose cache entry matches it: same path, same stamp now.
pub struct Hit {
    /// Where the entry lies in the cache file.
    pub record: Record,
    /// Whether the file gives `operation.duration` itself.
    pub has_duration: bool,
    /// The operation as decoded; where its file is (`module`, `file`, `path`, `stem`) is for
    /// the loader to set.
    pub operation: Box<Operation>,
}

/// Whether a decoded operation may be stored: only what the file alone decides (not a script
/// generated with config.yaml's `apps:`).
pub fn storable(operation: &Operation) -> bool {
    !matches!(
        &operation.action,
        crate::model::operation::Action::RunCommand(rc) if matches!(rc.script, PowerShell::Generated(_))
    )
}

/// A cache file's entries matched with the files of a listing: one slot per listed file, in
/// listing order, holding the operation when the file is unchanged since it was stored.
#[derive(Default)]
pub struct Cache {
    hits: Vec<Option<Hit>>,
    read: usize,
    /// The stamp of the file the entries were read from, which a rewrite copies entries from.
    file: Option<Stamp>,
}

impl Cache {
    /// The entries stored at `path` for the files of `listing`: their paths relative to the
    /// deployment folder, in the order of their paths (as the loader lists them), with their
    /// stamps. Only an entry whose stamp is still its file's is decoded. Empty when there is
    /// no cache, or it cannot be read, is corrupt or was written by another binary. Unless
    /// `keep_scripts`, the text of each bash script is let go as soon as it is read
    /// ([`Operation::let_go_of_script`]).
    pub fn read<P: AsRef<Path>>(
        path: &Path,
        keep_scripts: bool,
        listing: impl IntoIterator<Item = (P, Option<Stamp>)>,
    ) -> Self {
        let Some(header) = Header::current() else {
            return Self::default();
        };
        let Ok(file) = std::fs::File::open(path) else {
            return Self::default();
        };
        let stamp = file.metadata().ok().map(|meta| Stamp::from(&meta));
        let mut reader = Reader {
            input: BufReader::new(file),
            buffer: Vec::new(),
            offset: 0,
        };
        let mut cache = reader
            .entries_of(&header, keep_scripts, listing)
            .unwrap_or_default();
        cache.file = stamp.filter(|_| cache.read > 0);
        cache
    }

    /// The stamp of the file the entries were read from, if any were.
    pub fn file_stamp(&self) -> Option<Stamp> {
        self.file
    }

    /// How many entries the file held.
    pub fn len_read(&self) -> usize {
        self.read
    }

    /// One slot per listed file, in listing order (fewer when the cache could not be read):
    /// the entry of each file that is unchanged.
    pub fn into_hits(self) -> Vec<Option<Hit>> {
        self.hits
    }

    /// Stores `entries` at `path`, replacing what was there atomically. Entries kept are copied
    /// from the file there, which must still be the one stamped `previous` when it was read:
    /// else nothing is written.
    pub fn write<'a>(
        path: &Path,
        previous: Option<Stamp>,
        entries: impl Iterator<Item = Stored<'a>>,
    ) -> std::io::Result<()> {
        let header = Header::written()?;
        let old = match previous {
            Some(stamp) => {
                let file = std::fs::File::open(path)?;
                if Stamp::from(&file.metadata()?) != stamp {
                    return Err(invalid("the cache was written again meanwhile"));
                }
                Some(file)
            }
            None => None,
        };
        crate::atomic_file::write_with(path, |out| {
            let mut buffer = Vec::new();
            write_record(out, &mut buffer, &header)?;
            for entry in entries {
                match (entry, &old) {
                    (Stored::New(entry), _) => write_record(out, &mut buffer, &entry)?,
                    (Stored::Kept(record), Some(old)) => {
                        buffer.resize(record.len as usize, 0);
                        std::os::unix::fs::FileExt::read_exact_at(old, &mut buffer, record.offset)?;
                        out.write_all(&buffer)?;
                    }
                    (Stored::Kept(_), None) => return Err(invalid("no cache to copy from")),
                }
            }
            Ok(())
        })
    }
}

/// The one record stored at `path` after this binary's header (by [`write_single`]); `None`
/// when there is none, or it cannot be read, is corrupt or was written by another binary.
pub fn read_single<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    let header = Header::current()?;
    let mut reader = Reader {
        input: BufReader::new(std::fs::File::open(path).ok()?),
        buffer: Vec::new(),
        offset: 0,
    };
    reader.next().ok()??;
    let stored: Header = postcard::from_bytes(&reader.buffer).ok()?;
    if stored != header {
        return None;
    }
    reader.next().ok()??;
    postcard::from_bytes(&reader.buffer).ok()
}

/// Stores `record` at `path` after this binary's header, replacing what was there atomically.
pub fn write_single(path: &Path, record: &impl serde::Serialize) -> std::io::Result<()> {
    let header = Header::written()?;
    crate::atomic_file::write_with(path, |out| {
        let mut buffer = Vec::new();
        write_record(out, &mut buffer, &header)?;
        write_record(out, &mut buffer, record)
    })
}

/// Writes one length-prefixed record, serialized in `buffer`.
fn write_record(
    out: &mut dyn Write,
    buffer: &mut Vec<u8>,
    record: &impl serde::Serialize,
) -> std::io::Result<()> {
    buffer.clear();
    let bytes = postcard::to_extend(record, std::mem::take(buffer)).map_err(invalid)?;
    let len = u32::try_from(bytes.len()).map_err(invalid)?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(&bytes)?;
    *buffer = bytes;
    Ok(())
}

/// A cache file being read record by record.
struct Reader<R> {
    input: R,
    /// The record read last.
    buffer: Vec<u8>,
    /// Where the record after it starts.
    offset: u64,
}

impl<R: Read> Reader<R> {
    /// Reads the next record into the buffer: its place in the file, or `None` at the end.
    fn next(&mut self) -> std::io::Result<Option<Record>> {
        if !read_record(&mut self.input, &mut self.buffer)? {
            return Ok(None);
        }
        let len = 4 + self.buffer.len() as u32;
        let record = Record {
            offset: self.offset,
            len,
        };
        self.offset += u64::from(len);
        Ok(Some(record))
    }

    /// The entries after a header equal to `header`, matched with `listing`; an error for
    /// anything else.
    fn entries_of<P: AsRef<Path>>(
        &mut self,
        header: &Header,
        keep_scripts: bool,
        listing: impl IntoIterator<Item = (P, Option<Stamp>)>,
    ) -> std::io::Result<Cache> {
        if self.next()?.is_none() {
            return Err(invalid("empty cache"));
        }
        let stored: Header = postcard::from_bytes(&self.buffer).map_err(invalid)?;
        if stored != *header {
            return Err(invalid("written by another binary"));
        }
        let mut cache = Cache::default();
        let mut pending = self.next()?;
        for (listed, stamp) in listing {
            let listed = listed.as_ref();
            let mut hit = None;
            // Entries before the listed file are of files gone since.
            while let Some(record) = pending {
                let (head, operation): (Head<'_>, _) =
                    postcard::take_from_bytes(&self.buffer).map_err(invalid)?;
                let order = head.relative.cmp(listed);
                if order == std::cmp::Ordering::Equal && stamp == Some(head.stamp) {
                    hit = Some(hit_of(&head, operation, record, keep_scripts)?);
                }
                if order == std::cmp::Ordering::Greater {
                    break;
                }
                cache.read += 1;
                pending = self.next()?;
                if order == std::cmp::Ordering::Equal {
                    break;
                }
            }
            cache.hits.push(hit);
        }
        while pending.is_some() {
            cache.read += 1;
            pending = self.next()?;
        }
        Ok(cache)
    }
}

/// The hit of an entry whose stamp is its file's: `head` was decoded, `operation` is the rest.
fn hit_of(
    head: &Head<'_>,
    operation: &[u8],
    record: Record,
    keep_scripts: bool,
) -> std::io::Result<Hit> {
    let mut operation: Box<Operation> = postcard::from_bytes(operation).map_err(invalid)?;
    if !keep_scripts {
        operation.let_go_of_script();
    }
    Ok(Hit {
        record,
        has_duration: head.has_duration,
        operation,
    })
}

/// Reads the next length-prefixed record into `buffer`; `false` at the end of the file.
fn read_record(input: &mut impl Read, buffer: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut len = [0; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(error) => return Err(error),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_ENTRY_BYTES {
        return Err(invalid("entry too large"));
    }
    buffer.resize(len, 0);
    input.read_exact(buffer)?;
    Ok(true)
}

fn invalid(error: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, error.to_string())
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
