//! The notifications not yet delivered, kept in `<git-common-dir>/realm/pending-notifications.json`
//! so `git realm notify` can send exactly those. The file is local to the clone (like the index
//! or `FETCH_HEAD`), written through a temporary file and a rename, and guarded by a lock file
//! while a delivery reads and rewrites it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::Message;

const FILE: &str = "realm/pending-notifications.json";
const FORMAT: u32 = 1;

/// How long to wait for another git-realm that is delivering, and when its lock is abandoned.
const LOCK_WAIT: Duration = Duration::from_secs(30);
const LOCK_STALE: Duration = Duration::from_secs(600);

/// One message waiting to be delivered, and why the last attempt did not deliver it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PendingMessage {
    #[serde(flatten)]
    pub message: Message,
    pub reason: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct PendingFile {
    format: u32,
    #[serde(default)]
    pending: Vec<PendingMessage>,
}

pub fn path(git_dir: &Path) -> PathBuf {
    git_dir.join(FILE)
}

/// The pending messages, held under the lock until `save` or drop.
pub struct Store {
    path: PathBuf,
    lock: PathBuf,
    pub messages: Vec<PendingMessage>,
}

impl Store {
    /// Lock and read the store of the repository whose (common) git dir is `git_dir`.
    pub fn open(git_dir: &Path) -> Result<Store> {
        let path = path(git_dir);
        let dir = path.parent().expect("FILE has a directory");
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create `{}`", dir.display()))?;
        let lock = path.with_extension("json.lock");
        acquire(&lock)?;
        let mut store = Store {
            path,
            lock,
            messages: Vec::new(),
        };
        // On an error the lock is released as `store` drops.
        store.messages = store.read()?;
        Ok(store)
    }

    fn read(&self) -> Result<Vec<PendingMessage>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(e).with_context(|| format!("failed to read `{}`", self.path.display()));
            }
        };
        let file: PendingFile = serde_json::from_str(&text).map_err(|e| {
            crate::error::BadInput::new(
                format!(
                    "`{}` is not a pending-notifications file: {e}",
                    self.path.display()
                ),
                "fix or delete the file; deleting it forgets the notifications not yet sent",
            )
        })?;
        if file.format != FORMAT {
            bail!(crate::error::BadInput::new(
                format!(
                    "`{}` has format {} which this git-realm does not know",
                    self.path.display(),
                    file.format
                ),
                "use the git-realm that wrote it, or delete the file",
            ));
        }
        Ok(file.pending)
    }

    /// Write the messages back (removing the file when none is left).
    pub fn save(&self) -> Result<()> {
        if self.messages.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(e).with_context(|| format!("failed to remove `{}`", self.path.display()))
                }
                _ => Ok(()),
            };
        }
        let file = PendingFile {
            format: FORMAT,
            pending: self.messages.clone(),
        };
        let mut text = serde_json::to_string_pretty(&file).expect("pending messages serialize");
        text.push('\n');
        crate::index::write_atomically(&self.path, text.as_bytes())
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.lock);
    }
}

fn acquire(lock: &Path) -> Result<()> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(lock)
        {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let age = std::fs::metadata(lock)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| SystemTime::now().duration_since(t).ok());
                if age.is_some_and(|age| age > LOCK_STALE) {
                    let _ = std::fs::remove_file(lock);
                    continue;
                }
                if Instant::now() >= deadline {
                    bail!(
                        "`{}` is held by another git-realm delivering notifications; if none is \
                         running, delete the lock file",
                        lock.display()
                    );
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(e) => {
                return Err(e).with_context(|| format!("failed to create `{}`", lock.display()));
            }
        }
    }
}
