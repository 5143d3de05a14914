//! The files of a commit (or of the working tree) as detection sees them.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use bstr::{BString, ByteSlice};
use gix::ObjectId;

use super::CodeRepo;

mod packed;

/// One file of a tree: its path and blob id.
#[derive(Debug, Clone)]
pub struct TreeFile {
    pub path: BString,
    pub id: ObjectId,
}

impl CodeRepo {
    /// The regular files (not symlinks, not submodules) in `commit`'s tree whose paths `wants`
    /// takes, breadth first (each tree's files in order, then its subtrees').
    ///
    /// The trees of a level are read as [`CodeRepo::map_blobs`] reads blobs, from the packs on
    /// every core, and their paths judged there: a tree of 100k files has some 10k trees, and
    /// what a detector wants is decided by globs and names, some hundreds of nanoseconds for
    /// each path.
    pub fn files_at(
        &self,
        commit: ObjectId,
        wants: impl Fn(&[u8]) -> bool + Sync,
    ) -> Result<Vec<TreeFile>> {
        let threads = threads();
        let hash = self.repo.object_hash();
        let packs = packed::Packs::open(self.repo.objects.store_ref().path(), hash);
        let mut files = Vec::new();
        let mut level: Vec<(BString, ObjectId)> =
            vec![(BString::default(), self.commit_tree(commit)?)];
        let wants = &wants;
        while !level.is_empty() {
            let ids: Vec<&ObjectId> = level.iter().map(|(_, id)| id).collect();
            let (packed, ()) = packs.map(
                gix::objs::Kind::Tree,
                &ids,
                u64::MAX,
                threads,
                &|i, data| parse_tree(&level[i].0, data, hash, wants),
                |_| (),
            );
            // What the packs do not hold (a commit's new trees are loose) or could not decode
            // is read through the object database. The lists are sized once: a tree of 100k
            // files would otherwise grow, and copy, its list a dozen times over.
            let listed: Vec<Listed> = packed
                .into_iter()
                .enumerate()
                .map(|(at, packed)| match packed {
                    Some(packed::Packed::Mapped(listed)) => listed,
                    _ => list_tree(&self.repo, &level[at], wants),
                })
                .collect::<Result<_>>()?;
            files.reserve(listed.iter().map(|(found, _)| found.len()).sum());
            let mut next =
                Vec::with_capacity(listed.iter().map(|(_, subtrees)| subtrees.len()).sum());
            for (found, subtrees) in listed {
                files.extend(found);
                next.extend(subtrees);
            }
            level = next;
        }
        Ok(files)
    }

    /// The files that differ between trees `old` and `new`: their paths, and their blob in
    /// `new` (`None` where `new` has none). Subtrees with the same id are skipped unread.
    pub fn changed_files(
        &self,
        old: ObjectId,
        new: ObjectId,
    ) -> Result<Vec<(BString, Option<ObjectId>)>> {
        let objects = self.repo.objects.store_ref().path().to_path_buf();
        let mut reader = BlobReader::new(&objects);
        let mut out = Vec::new();
        self.diff_trees(
            &mut reader,
            Some(old),
            Some(new),
            &mut BString::default(),
            &mut out,
        )?;
        Ok(out)
    }

    /// The trees a push's commit wrote are loose objects, one per directory it touched: they
    /// are read as the hook reads loose blobs, one file read each, and the rest from packs.
    fn diff_trees(
        &self,
        reader: &mut BlobReader,
        old: Option<ObjectId>,
        new: Option<ObjectId>,
        prefix: &mut BString,
        out: &mut Vec<(BString, Option<ObjectId>)>,
    ) -> Result<()> {
        if old == new {
            return Ok(());
        }
        type Entries = std::collections::BTreeMap<BString, (bool, ObjectId)>;
        let mut entries = |id: Option<ObjectId>| -> Result<Entries> {
            let mut map = Entries::new();
            let Some(id) = id else { return Ok(map) };
            let found;
            let data = match reader.read_loose(&id, gix::objs::Kind::Tree, u64::MAX) {
                Some(Loose::Read) => &reader.data[..],
                _ => {
                    found = self.repo.find_tree(id).context("failed to read tree")?;
                    &found.data[..]
                }
            };
            for entry in gix::objs::TreeRefIter::from_bytes(data, self.repo.object_hash()) {
                let entry = entry.context("failed to decode tree")?;
                if entry.mode.is_tree() || entry.mode.is_blob() {
                    map.insert(
                        entry.filename.to_owned(),
                        (entry.mode.is_tree(), entry.oid.to_owned()),
                    );
                }
            }
            Ok(map)
        };
        let (before, after) = (entries(old)?, entries(new)?);
        let names: std::collections::BTreeSet<&BString> =
            before.keys().chain(after.keys()).collect();
        for name in names {
            let (a, b) = (before.get(name), after.get(name));
            if a == b {
                continue;
            }
            let len = prefix.len();
            if !prefix.is_empty() {
                prefix.push(b'/');
            }
            prefix.extend_from_slice(name);
            let subtree =
                |e: Option<&(bool, ObjectId)>| e.filter(|(is_tree, _)| *is_tree).map(|(_, id)| *id);
            let blob = |e: Option<&(bool, ObjectId)>| {
                e.filter(|(is_tree, _)| !*is_tree).map(|(_, id)| *id)
            };
            if subtree(a).is_some() || subtree(b).is_some() {
                self.diff_trees(reader, subtree(a), subtree(b), prefix, out)?;
            }
            if blob(a).is_some() || blob(b).is_some() {
                out.push((prefix.clone(), blob(b)));
            }
            prefix.truncate(len);
        }
        Ok(())
    }

    /// Read `files`' blobs and map each with `f`, on every core: cold detection over a large
    /// tree is bound by decompression and scanning, both of which parallelize.
    ///
    /// A blob larger than `max_size` is not read (its header tells its size) and gets `None`.
    /// A blob missing from the object database gets `None` and its path in `missing` when this
    /// is a partial clone (its promisor remote has it); otherwise it is an error naming the path.
    pub fn map_blobs<T: Send>(
        &self,
        files: &[TreeFile],
        max_size: u64,
        f: impl Fn(&TreeFile, &[u8]) -> T + Sync,
    ) -> Result<MappedBlobs<T>> {
        let threads = threads();
        let loose = self.repo.objects.store_ref().path().to_path_buf();
        // Packed blobs each with their pack entry inflated once; what the packs do not hold
        // (loose objects, alternates) or could not decode is read one by one, beside the packs'
        // walk when there is much of it.
        let ids: Vec<&ObjectId> = files.iter().map(|file| &file.id).collect();
        let packs = packed::Packs::open(&loose, self.repo.object_hash());
        let read_all = |repo: &gix::Repository, part: &[usize]| -> Result<Vec<Read<T>>> {
            // One reader per thread: its decompressor and buffers serve every blob it reads.
            let mut reader = BlobReader::new(&loose);
            part.iter()
                .map(|&i| {
                    let file = &files[i];
                    Ok(match reader.read(repo, file, max_size)? {
                        Blob::Data(data) => Read::Mapped(f(file, data)),
                        Blob::TooLarge => Read::Skipped,
                        Blob::Missing => Read::Missing,
                    })
                })
                .collect()
        };
        // Many at once are read on every core, each thread with its own handle.
        let read_threaded =
            |shared: &gix::ThreadSafeRepository, rest: &[usize]| -> Result<Vec<Read<T>>> {
                let chunk = rest.len().div_ceil(threads);
                std::thread::scope(|scope| -> Result<Vec<Read<T>>> {
                    let workers: Vec<_> = rest
                        .chunks(chunk)
                        .map(|part| {
                            let read_all = &read_all;
                            scope.spawn(move || read_all(&shared.to_thread_local(), part))
                        })
                        .collect();
                    let mut out = Vec::with_capacity(rest.len());
                    for worker in workers {
                        out.extend(worker.join().expect("a detection thread panicked")?);
                    }
                    Ok(out)
                })
            };
        let many = |n: usize| threads > 1 && n >= 256;
        let shared = many(files.len()).then(|| self.repo.clone().into_sync());
        // Many blobs no pack holds (a tree's recent commits, never packed) are read while the
        // packs are walked.
        let (packed, beside) = packs.map(
            gix::objs::Kind::Blob,
            &ids,
            max_size,
            threads,
            &|i, data| f(&files[i], data),
            |unheld| match &shared {
                Some(shared) if many(unheld.len()) => {
                    Some((unheld.to_vec(), read_threaded(shared, unheld)))
                }
                _ => None,
            },
        );
        let mut reads: Vec<Option<Read<T>>> = packed
            .into_iter()
            .map(|packed| {
                packed.map(|packed| match packed {
                    packed::Packed::Mapped(value) => Read::Mapped(value),
                    packed::Packed::TooLarge => Read::Skipped,
                })
            })
            .collect();
        if let Some((unheld, read)) = beside {
            for (i, read) in unheld.into_iter().zip(read?) {
                reads[i] = Some(read);
            }
        }
        // The rest, and what a pack holds but could not decode (the object database then says
        // what is wrong).
        let rest: Vec<usize> = (0..files.len()).filter(|&i| reads[i].is_none()).collect();
        let rest_reads = match &shared {
            Some(shared) if many(rest.len()) => read_threaded(shared, &rest)?,
            _ => read_all(&self.repo, &rest)?,
        };
        for (i, read) in rest.into_iter().zip(rest_reads) {
            reads[i] = Some(read);
        }
        let reads = reads.into_iter().map(|read| read.expect("every file read"));
        let mut mapped = MappedBlobs {
            values: Vec::with_capacity(files.len()),
            missing: Vec::new(),
        };
        for (file, read) in files.iter().zip(reads) {
            mapped.values.push(match read {
                Read::Mapped(value) => Some(value),
                Read::Skipped => None,
                Read::Missing => {
                    mapped.missing.push(file.clone());
                    None
                }
            });
        }
        if let Some(first) = mapped.missing.first()
            && !self.is_partial_clone()
        {
            return Err(crate::error::BadInput::new(
                format!(
                    "failed to read `{}`: its blob {} is missing from the object database{}",
                    first.path,
                    first.id,
                    match mapped.missing.len() {
                        1 => String::new(),
                        n => format!(" (and {} other files')", n - 1),
                    }
                ),
                "run 'git fsck' to see what is damaged, then 'git fetch' or clone the repository again",
            )
            .into());
        }
        Ok(mapped)
    }

    /// Whether objects may be missing by design: a partial clone, whose promisor remote
    /// (`git clone --filter=…`) holds the blobs it did not fetch.
    pub fn is_partial_clone(&self) -> bool {
        let config = self.repo.config_snapshot();
        config.string("extensions.partialClone").is_some()
            || self.repo.remote_names().iter().any(|name| {
                config
                    .boolean(format!("remote.{name}.promisor").as_str())
                    .unwrap_or(false)
            })
    }

    pub fn blob(&self, id: ObjectId) -> Result<Vec<u8>> {
        Ok(self
            .repo
            .find_blob(id)
            .with_context(|| format!("failed to read blob {id}"))?
            .data
            .clone())
    }

    /// The content of `path` in `commit`, if it is a file there.
    pub fn file_at(&self, commit: ObjectId, path: &str) -> Result<Option<Vec<u8>>> {
        let tree = self
            .repo
            .find_tree(self.commit_tree(commit)?)
            .context("failed to read tree")?;
        match tree
            .lookup_entry(path.split('/').map(str::as_bytes))
            .context("failed to look up path")?
        {
            Some(entry) if entry.mode().is_blob() => Ok(Some(self.blob(entry.object_id())?)),
            _ => Ok(None),
        }
    }

    /// The blob id of `path` in `commit`, if it is a file there.
    pub fn blob_id_at(&self, commit: ObjectId, path: &str) -> Result<Option<ObjectId>> {
        let tree = self
            .repo
            .find_tree(self.commit_tree(commit)?)
            .context("failed to read tree")?;
        Ok(tree
            .lookup_entry(path.split('/').map(str::as_bytes))
            .context("failed to look up path")?
            .filter(|e| e.mode().is_blob())
            .map(|e| e.object_id()))
    }

    /// Whether tracked files differ from HEAD (staged or not), leaving out
    /// `.realm/config.yaml`: git-realm reads it from the working tree, and `join` stages it.
    pub fn has_uncommitted_changes(&self) -> Result<bool> {
        let (_, output) = self
            .git()
            .args([
                "diff-index",
                "--quiet",
                "HEAD",
                "--",
                ".",
                ":(exclude).realm/config.yaml",
            ])
            .output()?;
        Ok(!output.status.success())
    }

    /// Tracked and untracked-but-not-ignored files of the working tree.
    pub fn worktree_files(&self) -> Result<Vec<BString>> {
        let out = self
            .git()
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .run()?;
        let mut files: Vec<BString> = out
            .as_bytes()
            .split_str("\0")
            .filter(|p| !p.is_empty())
            .map(BString::from)
            .collect();
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// A working-tree file, unless it is missing or a symlink or under one (never followed
    /// out of the repo).
    pub fn worktree_file(&self, path: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.worktree_entry(path.to_str_lossy().as_ref()) {
            WorktreeEntry::File(full) => {
                Ok(Some(std::fs::read(&full).with_context(|| {
                    format!("failed to read `{}`", full.display())
                })?))
            }
            _ => Ok(None),
        }
    }

    /// What `rel` (a `/`-separated path from the root) is in the working tree, looking at
    /// each directory on the way without following a symlink: `sub/x` where `sub` links out
    /// of the repository is the link, not the file it leads to.
    pub fn worktree_entry(&self, rel: &str) -> WorktreeEntry {
        let mut full = self.root.clone();
        let parts: Vec<&str> = rel.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            full.push(part);
            let meta = match std::fs::symlink_metadata(&full) {
                Ok(meta) => meta,
                Err(_) => return WorktreeEntry::Missing,
            };
            if meta.file_type().is_symlink() {
                return WorktreeEntry::Symlink(parts[..=i].join("/"));
            }
            let last = i + 1 == parts.len();
            if last && meta.is_file() {
                return WorktreeEntry::File(full);
            }
            if last || !meta.is_dir() {
                return WorktreeEntry::NotAFile;
            }
        }
        WorktreeEntry::Missing
    }
}

/// How many threads reading a repository's objects may use.
fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
}

/// A tree's files, and its subtrees, each with its path.
type Listed = (Vec<TreeFile>, Vec<(BString, ObjectId)>);

/// The files `wants` takes and the subtrees of the tree `id` at `prefix`, in its order, read
/// through the object database.
fn list_tree(
    repo: &gix::Repository,
    (prefix, id): &(BString, ObjectId),
    wants: &impl Fn(&[u8]) -> bool,
) -> Result<Listed> {
    let tree = repo.find_tree(*id).context("failed to read tree")?;
    parse_tree(prefix, &tree.data, repo.object_hash(), wants)
}

/// The files `wants` takes and the subtrees of the tree `data` at `prefix`, in its order.
fn parse_tree(
    prefix: &BString,
    data: &[u8],
    hash: gix::hash::Kind,
    wants: &impl Fn(&[u8]) -> bool,
) -> Result<Listed> {
    let (mut files, mut subtrees) = (Vec::new(), Vec::new());
    for entry in gix::objs::TreeRefIter::from_bytes(data, hash) {
        let entry = entry.context("failed to walk tree")?;
        let mode = entry.mode;
        if !mode.is_tree() && !mode.is_blob() {
            continue;
        }
        let mut path = BString::from(Vec::with_capacity(prefix.len() + 1 + entry.filename.len()));
        if !prefix.is_empty() {
            path.extend_from_slice(prefix);
            path.push(b'/');
        }
        path.extend_from_slice(entry.filename);
        if mode.is_tree() {
            subtrees.push((path, entry.oid.to_owned()));
        } else if wants(&path) {
            files.push(TreeFile {
                path,
                id: entry.oid.to_owned(),
            });
        }
    }
    Ok((files, subtrees))
}

/// What [`CodeRepo::map_blobs`] made of each file (`None`: not read), and the files whose blobs
/// a partial clone lacks.
pub struct MappedBlobs<T> {
    pub values: Vec<Option<T>>,
    pub missing: Vec<TreeFile>,
}

/// Warn of files a partial clone lacks: they are skipped, and how to get them.
pub fn warn_missing(missing: &[TreeFile]) {
    if missing.is_empty() {
        return;
    }
    let mut names: Vec<String> = missing
        .iter()
        .take(3)
        .map(|f| format!("`{}`", f.path))
        .collect();
    if missing.len() > 3 {
        names.push(format!("{} more", missing.len() - 3));
    }
    crate::output::warn(format!(
        "warning: detection skipped {} whose blobs this partial clone lacks: {}",
        if missing.len() == 1 {
            "a file"
        } else {
            "files"
        },
        names.join(", ")
    ));
    crate::output::warn(
        "hint: 'git checkout' or 'git show' those paths to fetch their blobs, then run again",
    );
}

enum Read<T> {
    Mapped(T),
    Skipped,
    Missing,
}

enum Blob<'a> {
    Data(&'a [u8]),
    TooLarge,
    Missing,
}

/// Reads blobs (and a diff's trees) for one thread, reusing its zlib decompressor and buffers:
/// most are small, and setting up a decompressor and allocating for each costs as much as
/// inflating it.
struct BlobReader<'p> {
    /// The object directory, where a loose object is read directly.
    objects: &'p Path,
    /// The fan-out directories (`objects/ab/`) there are: a packed repository has none, and
    /// an open that fails costs about as much as reading a small blob.
    fanout: [bool; 256],
    inflate: gix::zlib::Inflate,
    compressed: Vec<u8>,
    data: Vec<u8>,
}

enum Loose {
    Read,
    TooLarge,
}

/// The most a loose object's header (`blob 12345\0`) takes.
const LOOSE_HEADER_MAX: usize = 32;

impl<'p> BlobReader<'p> {
    fn new(objects: &'p Path) -> Self {
        let mut fanout = [false; 256];
        if let Ok(dir) = std::fs::read_dir(objects) {
            for entry in dir.flatten() {
                if let Some(byte) = entry
                    .file_name()
                    .to_str()
                    .filter(|n| n.len() == 2)
                    .and_then(|n| u8::from_str_radix(n, 16).ok())
                {
                    fanout[byte as usize] = true;
                }
            }
        }
        BlobReader {
            objects,
            fanout,
            inflate: gix::zlib::Inflate::default(),
            compressed: Vec::new(),
            data: Vec::new(),
        }
    }

    /// A file's blob, unless it is larger than `max_size` or absent.
    fn read(&mut self, repo: &gix::Repository, file: &TreeFile, max_size: u64) -> Result<Blob<'_>> {
        match self.read_loose(&file.id, gix::objs::Kind::Blob, max_size) {
            Some(Loose::Read) => return Ok(Blob::Data(&self.data)),
            Some(Loose::TooLarge) => return Ok(Blob::TooLarge),
            None => {}
        }
        let header = repo
            .try_find_header(file.id)
            .with_context(|| format!("failed to read `{}` (blob {})", file.path, file.id))?;
        match header {
            None => return Ok(Blob::Missing),
            Some(h) if h.size() > max_size => return Ok(Blob::TooLarge),
            Some(_) => {}
        }
        use gix::objs::Find;
        match repo
            .objects
            .try_find(&file.id, &mut self.data)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("failed to read `{}` (blob {})", file.path, file.id))?
        {
            Some(object) => Ok(Blob::Data(object.data)),
            None => Ok(Blob::Missing),
        }
    }

    /// Read object `id` into `self.data` when it is a loose object of `kind` in the object
    /// directory, with this reader's decompressor: one file read instead of git's two (header,
    /// then object). `None` when it is not there or is anything but a well-formed loose object
    /// of that kind: the object database then finds it (in a pack, an alternate) or says what
    /// is wrong.
    fn read_loose(&mut self, id: &ObjectId, kind: gix::objs::Kind, max_size: u64) -> Option<Loose> {
        if !self.fanout[id.as_bytes()[0] as usize] {
            return None;
        }
        let hex = id.to_hex().to_string();
        let path = self.objects.join(&hex[..2]).join(&hex[2..]);
        let mut opened = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(_) => return None,
        };
        self.compressed.clear();
        if opened.read_to_end(&mut self.compressed).is_err() {
            return None;
        }
        self.inflate.reset();
        let mut header = [0u8; LOOSE_HEADER_MAX];
        let Ok((status, consumed_in, consumed_out)) =
            self.inflate.prefix(&self.compressed, &mut header)
        else {
            return None;
        };
        let Ok((found, size, header_len)) =
            gix::objs::decode::loose_header(&header[..consumed_out])
        else {
            return None;
        };
        if found != kind || consumed_out < header_len {
            return None;
        }
        if size > max_size {
            return Some(Loose::TooLarge);
        }
        let size = size as usize;
        let body = &header[header_len..consumed_out];
        if status == gix::zlib::Status::StreamEnd {
            if body.len() != size {
                return None;
            }
            self.data.clear();
            self.data.extend_from_slice(body);
            return Some(Loose::Read);
        }
        match self.inflate.rest(
            &self.compressed[consumed_in..],
            &header[..consumed_out],
            header_len,
            &mut self.data,
            size,
        ) {
            Ok(n) if n == size => Some(Loose::Read),
            _ => None,
        }
    }
}

/// A path of the working tree as git-realm may read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorktreeEntry {
    /// A regular file, reached through directories only: its full path.
    File(PathBuf),
    Missing,
    /// The path is, or goes through, this symlink (a path from the root).
    Symlink(String),
    /// A directory, or something else that is not a regular file.
    NotAFile,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `files` read back with `map_blobs` up to `max_size`: each as written in `contents`, or
    /// `None` when larger than that.
    fn read_back(
        code: &CodeRepo,
        files: &[TreeFile],
        contents: &[Vec<u8>],
        max_size: u64,
    ) -> Vec<Option<Vec<u8>>> {
        let read = code
            .map_blobs(files, max_size, |_, data| data.to_vec())
            .unwrap()
            .values;
        for (data, got) in contents.iter().zip(&read) {
            match got {
                Some(got) => assert_eq!(got, data),
                None => assert!(data.len() as u64 > max_size),
            }
        }
        read
    }

    /// Loose blobs read with a reused decompressor are the bytes git wrote, whatever their
    /// size; one past the limit is skipped, one that is not there is missing.
    #[test]
    fn loose_blobs_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let repo = gix::init(dir.path()).unwrap();
        let mut contents: Vec<Vec<u8>> = vec![Vec::new(), b"x".to_vec()];
        let mut seed = 7u32;
        for len in [31, 32, 33, 100, 4096, 70_000, 300_000] {
            contents.push(
                (0..len)
                    .map(|i| {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        if i % 3 == 0 { b'a' } else { (seed >> 16) as u8 }
                    })
                    .collect(),
            );
        }
        let mut files: Vec<TreeFile> = contents
            .iter()
            .enumerate()
            .map(|(i, data)| TreeFile {
                path: format!("f{i}").into(),
                id: repo.write_blob(data).unwrap().detach(),
            })
            .collect();
        let absent = ObjectId::from_hex(b"0123456789012345678901234567890123456789").unwrap();
        files.push(TreeFile {
            path: "absent".into(),
            id: absent,
        });
        let code = CodeRepo {
            root: dir.path().to_path_buf(),
            repo,
        };
        // Over the thread threshold too, so the parallel readers run.
        let many: Vec<TreeFile> = files.iter().cycle().take(600).cloned().collect();
        for files in [&files, &many] {
            // Not a partial clone: the absent blob is an error naming it.
            let err = code
                .map_blobs(files, 100_000, |_, data| data.to_vec())
                .map(|m| m.values)
                .expect_err("missing blob")
                .to_string();
            assert!(err.contains("`absent`"), "{err}");
        }
        files.pop();
        let read = read_back(&code, &files, &contents, 100_000);
        assert_eq!(read.iter().filter(|r| r.is_none()).count(), 1);

        // They were read as loose objects, not handed back to the object database.
        let objects = code.repo.objects.store_ref().path().to_path_buf();
        let mut reader = BlobReader::new(&objects);
        for (file, data) in files.iter().zip(&contents) {
            let loose = reader.read_loose(&file.id, gix::objs::Kind::Blob, 100_000);
            match loose {
                Some(Loose::Read) => assert_eq!(&reader.data, data),
                Some(Loose::TooLarge) => assert!(data.len() > 100_000),
                None => panic!("{} was not read as a loose object", file.path),
            }
        }
        assert!(
            reader
                .read_loose(&absent, gix::objs::Kind::Blob, 100_000)
                .is_none()
        );
    }

    /// A commit's files, its trees read level by level (on several threads past a few
    /// hundred trees a level), come in the order of gix's breadth-first walk, executable
    /// files included, symlinks and submodules left out.
    #[test]
    fn files_at_lists_a_tree_breadth_first() {
        // SHA-1 and SHA-256 repositories alike.
        for format in ["sha1", "sha256"] {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path();
            let git = |args: &[&str]| {
                let out = std::process::Command::new("git")
                    .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                    .args(args)
                    .current_dir(root)
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{args:?}: {out:?}");
            };
            git(&["init", "-q", &format!("--object-format={format}")]);
            for a in 0..300 {
                for b in 0..2 {
                    let d = root.join(format!("d{a}/e{b}"));
                    std::fs::create_dir_all(&d).unwrap();
                    std::fs::write(d.join("f.txt"), format!("{a} {b}")).unwrap();
                }
                std::fs::write(root.join(format!("d{a}/top")), format!("{a}")).unwrap();
            }
            std::fs::write(root.join("z"), "z").unwrap();
            std::os::unix::fs::symlink("z", root.join("link")).unwrap();
            git(&["add", "-A"]);
            git(&["update-index", "--chmod=+x", "d7/top"]);
            git(&["commit", "-qm", "files"]);
            // Every file, as gix's own traversal lists them, and `files_at` with and without a
            // filter: the trees loose, then packed (deltas among them), then a commit's new trees
            // loose beside the packed rest.
            let check = |files: usize| {
                let repo = gix::open(root).unwrap();
                let head = repo.head_id().unwrap().detach();
                let expected: Vec<(BString, ObjectId)> = repo
                    .find_commit(head)
                    .unwrap()
                    .tree()
                    .unwrap()
                    .traverse()
                    .breadthfirst
                    .files()
                    .unwrap()
                    .into_iter()
                    .filter(|e| e.mode.is_blob())
                    .map(|e| (e.filepath, e.oid))
                    .collect();
                assert_eq!(expected.len(), files);
                let code = CodeRepo {
                    root: root.to_path_buf(),
                    repo,
                };
                let listed = |wants: &(dyn Fn(&[u8]) -> bool + Sync)| -> Vec<(BString, ObjectId)> {
                    code.files_at(head, wants)
                        .unwrap()
                        .into_iter()
                        .map(|f| (f.path, f.id))
                        .collect()
                };
                assert_eq!(listed(&|_| true), expected);
                let tops = |path: &[u8]| path.ends_with(b"/top");
                assert_eq!(
                    listed(&tops),
                    expected
                        .iter()
                        .filter(|(path, _)| tops(path))
                        .cloned()
                        .collect::<Vec<_>>()
                );
            };
            check(300 * 3 + 1);
            git(&["repack", "-adfq", "--window=50", "--depth=50"]);
            assert!(
                !root
                    .join(".git/objects")
                    .read_dir()
                    .unwrap()
                    .any(|e| { e.unwrap().file_name().len() == 2 })
            );
            check(300 * 3 + 1);
            // The packs serve trees themselves.
            let repo = gix::open(root).unwrap();
            let tree = repo.head_commit().unwrap().tree_id().unwrap().detach();
            let packs = packed::Packs::open(&root.join(".git/objects"), repo.object_hash());
            let (read, unheld) = packs.map(
                gix::objs::Kind::Tree,
                &[&tree],
                u64::MAX,
                2,
                &|_, data| data.to_vec(),
                |unheld| unheld.to_vec(),
            );
            assert!(unheld.is_empty());
            assert!(
                matches!(&read[0], Some(packed::Packed::Mapped(data)) if *data == repo.find_tree(tree).unwrap().data)
            );
            std::fs::write(root.join("d5/e1/new.txt"), "new").unwrap();
            git(&["add", "-A"]);
            git(&["commit", "-qm", "one more"]);
            check(300 * 3 + 2);
        }
    }

    /// Packed blobs, deltified against each other in chains, read back as written: each from
    /// the packs (none left to the object database), one past the limit skipped, a blob two
    /// files share given to both.
    #[test]
    fn packed_blobs_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let repo = gix::init(dir.path()).unwrap();
        let mut seed = 11u32;
        let mut words = || {
            (0..400)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    ["alpha ", "beta ", "gamma\n", "s3://b/k "][(seed >> 16) as usize % 4]
                })
                .collect::<String>()
        };
        let base = words();
        let mut contents: Vec<Vec<u8>> = (0..300)
            .map(|i| {
                let mut text = base.clone();
                text.insert_str((i * 7) % base.len(), &words()[..i % 50]);
                text.into_bytes()
            })
            .collect();
        contents.push(b"x".repeat(5000));
        contents.push(contents[3].clone());
        let files: Vec<TreeFile> = contents
            .iter()
            .enumerate()
            .map(|(i, data)| TreeFile {
                path: format!("f{i}").into(),
                id: repo.write_blob(data).unwrap().detach(),
            })
            .collect();
        // Packed as git packs them (the loose copies stay: the packs are read first).
        let objects = repo.objects.store_ref().path().to_path_buf();
        {
            let mut input = String::new();
            for file in &files {
                input.push_str(&format!("{}\n", file.id));
            }
            let mut child = std::process::Command::new("git")
                .args([
                    "pack-objects",
                    "-q",
                    "--depth=20",
                    "--window=50",
                    "objects/pack/pack",
                ])
                .current_dir(dir.path().join(".git"))
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap();
            use std::io::Write as _;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
            assert!(child.wait().unwrap().success());
        }
        let repo = gix::open(dir.path()).unwrap();
        let packs = packed::Packs::open(&objects, repo.object_hash());
        // All of them, and some only: the bases of those are then entries no file wants.
        for step in [1, 3, 7] {
            let wanted: Vec<(&TreeFile, &Vec<u8>)> =
                files.iter().zip(&contents).step_by(step).collect();
            let ids: Vec<&ObjectId> = wanted.iter().map(|(f, _)| &f.id).collect();
            for threads in [1, 2] {
                let (read, unheld) = packs.map(
                    gix::objs::Kind::Blob,
                    &ids,
                    4999,
                    threads,
                    &|_, data: &[u8]| data.to_vec(),
                    |unheld| unheld.to_vec(),
                );
                assert!(unheld.is_empty());
                for ((file, data), got) in wanted.iter().zip(read) {
                    match got {
                        Some(packed::Packed::Mapped(got)) => {
                            assert_eq!(&&got, data, "{}", file.path)
                        }
                        Some(packed::Packed::TooLarge) => assert!(data.len() > 4999),
                        None => panic!("{} was not read from the pack", file.path),
                    }
                }
            }
        }
        let code = CodeRepo {
            root: dir.path().to_path_buf(),
            repo,
        };
        read_back(&code, &files, &contents, 4999);

        // As many blobs again that no pack holds: the packs name them, and they are read
        // beside the packs' walk.
        let (mut files, mut contents) = (files, contents);
        let packed = files.len();
        for i in 0..300 {
            let data = format!("loose {i}\n").repeat(i % 7 + 1).into_bytes();
            files.push(TreeFile {
                path: format!("loose{i}").into(),
                id: code.repo.write_blob(&data).unwrap().detach(),
            });
            contents.push(data);
        }
        let ids: Vec<&ObjectId> = files.iter().map(|f| &f.id).collect();
        let (_, unheld) = packs.map(gix::objs::Kind::Blob, &ids, 4999, 2, &|_, _| (), |unheld| {
            unheld.to_vec()
        });
        assert_eq!(unheld, (packed..files.len()).collect::<Vec<_>>());
        let read = read_back(&code, &files, &contents, 4999);
        assert_eq!(read.iter().filter(|r| r.is_none()).count(), 1);
    }
}
