//! Notes on code commits under `refs/notes/realm`: which realm versions a commit's values
//! became. One self-contained line per fact, kept sorted and unique, so that
//! `git notes merge -s cat_sort_uniq` joins any two histories of them; the notes follow
//! amend and rebase (`notes.rewriteRef`) and travel to the code remote by explicit push.

use anyhow::{Context, Result};
use bstr::ByteSlice;
use gix::ObjectId;
use serde::Serialize;

use super::CodeRepo;
use super::realm_store::PushOutcome;

pub const NOTES_REF: &str = "refs/notes/realm";

/// How often `share` fetches, merges and pushes before leaving the notes for next time.
const PUSH_ATTEMPTS: usize = 3;

/// `notes.rewriteRef`, as a pattern (see [`CodeRepo::configure_notes`]).
const REWRITE_REF: &str = "refs/notes/realm*";

/// `Realm-Export: <realm> <domain>/<export> <version> realm-commit=<sha>`
pub fn export_line(
    realm: &str,
    domain: &str,
    export: &str,
    version: &str,
    realm_commit: ObjectId,
) -> String {
    format!("Realm-Export: {realm} {domain}/{export} {version} realm-commit={realm_commit}")
}

/// `Realm-Import: <realm> <from>/<contract> <version> realm-commit=<sha>`
pub fn import_line(
    realm: &str,
    from: &str,
    contract: &str,
    version: &str,
    realm_commit: ObjectId,
) -> String {
    format!("Realm-Import: {realm} {from}/{contract} {version} realm-commit={realm_commit}")
}

/// `Realm-Ungranted: <realm> <from>/<contract> <version> <what the binding does not grant>`,
/// for an import resolved with `sync --force`.
pub fn ungranted_line(realm: &str, from: &str, contract: &str, version: &str, gap: &str) -> String {
    format!("Realm-Ungranted: {realm} {from}/{contract} {version} {gap}")
}

/// What sharing the notes with the code remote came to. Only local failures are errors:
/// the network is allowed to say no.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "result")]
pub enum Shared {
    Pushed {
        remote: String,
    },
    /// The repository has no remote to share with.
    NoRemote,
    /// There are no realm notes here or there.
    Nothing,
    /// Fetching or pushing failed; the notes are kept here and go with the next share.
    NotPushed {
        remote: String,
        reason: String,
    },
}

/// Add `lines` to the note on `commit` (the code commit the values came from).
pub fn record(repo: &CodeRepo, commit: ObjectId, lines: &[String]) -> Result<()> {
    repo.add_note_lines(commit, lines).map(|_| ())
}

/// Fetch the code remote's realm notes, merge them into ours, and push the result.
pub fn share(repo: &CodeRepo) -> Result<Shared> {
    repo.share_notes()
}

/// The note text holding `existing` and `new` lines: sorted, unique, no blank lines, as
/// `cat_sort_uniq` would leave it.
pub fn merged_note(existing: &str, new: &[String]) -> String {
    let mut lines: Vec<&str> = existing
        .lines()
        .chain(new.iter().map(String::as_str))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort_unstable();
    lines.dedup();
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// A commit message's subject (`%s`: its first paragraph on one line) and its
/// `Realm-Domain` and `Source-Commit` trailers (each key's values joined by `,`), read where
/// git's trailer rules give the same answer for certain: `None` when the message names either
/// key but its last paragraph is not all plain `Key: value` lines after a subject.
fn plain_trailers(message: &str) -> Option<(String, Option<String>, Option<String>)> {
    let mut paragraphs: Vec<Vec<&str>> = vec![Vec::new()];
    for line in message.lines() {
        if line.trim().is_empty() {
            if !paragraphs.last().is_some_and(Vec::is_empty) {
                paragraphs.push(Vec::new());
            }
        } else {
            paragraphs
                .last_mut()
                .expect("one paragraph at least")
                .push(line);
        }
    }
    if paragraphs.last().is_some_and(Vec::is_empty) {
        paragraphs.pop();
    }
    let subject = paragraphs
        .first()
        .map(|lines| {
            lines
                .iter()
                .map(|l| l.trim_end())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let lower = message.to_ascii_lowercase();
    if !lower.contains("realm-domain") && !lower.contains("source-commit") {
        return Some((subject, None, None));
    }
    // A subject on one line as written: git's folding of a longer one is left to git.
    let one_line = paragraphs
        .first()
        .is_some_and(|lines| lines.len() == 1 && lines[0].trim() == lines[0]);
    if !one_line || message.contains('\r') {
        return None;
    }
    let plain = |line: &&str| {
        line.split_once(": ").is_some_and(|(key, value)| {
            !key.is_empty()
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !value.trim().is_empty()
                && !value.starts_with(char::is_whitespace)
        })
    };
    let odd = message
        .lines()
        .any(|l| l.starts_with("---") || l.starts_with('#'));
    let trailers = match paragraphs.as_slice() {
        [_, .., last] if !odd && last.iter().all(plain) => last,
        _ => return None,
    };
    let values = |wanted: &str| -> Option<String> {
        let found: Vec<&str> = trailers
            .iter()
            .filter_map(|l| l.split_once(": "))
            .filter(|(key, _)| key.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.trim())
            .collect();
        (!found.is_empty()).then(|| found.join(","))
    };
    Some((subject, values("Realm-Domain"), values("Source-Commit")))
}

/// A realm commit on the main line that a domain wrote from one of this repository's commits.
#[derive(Debug, Clone)]
pub struct RealmWrite {
    pub commit: ObjectId,
    pub subject: String,
    /// Its `Source-Commit:`, the code commit its values came from.
    pub source: ObjectId,
}

impl CodeRepo {
    /// The commits on `tip`'s first-parent line (the realm's main line: not the proposals an
    /// approval merged) after `since` (every one when `None` or not here), oldest first, that
    /// carry `Realm-Domain: <domain>` and a `Source-Commit:` this repository has.
    pub fn realm_writes(
        &self,
        domain: &str,
        tip: ObjectId,
        since: Option<ObjectId>,
    ) -> Result<Vec<RealmWrite>> {
        if let Some(writes) = self.realm_writes_read(domain, tip, since) {
            return Ok(writes);
        }
        let mut git = self.git().args([
            "log",
            "--first-parent",
            "--reverse",
            "--format=%H%x1f%s%x1f%(trailers:key=Realm-Domain,valueonly,separator=%x2C)%x1f%(trailers:key=Source-Commit,valueonly,separator=%x2C)%x1e",
        ]);
        git = git.arg(tip.to_string());
        if let Some(since) = since.filter(|s| self.repo.has_object(s)) {
            git = git.arg(format!("^{since}"));
        }
        let out = git.arg("--").run()?;
        let mut writes = Vec::new();
        for record in out.split('\x1e') {
            let fields: Vec<&str> = record.trim_start_matches('\n').split('\x1f').collect();
            let [commit, subject, domains, sources] = fields.as_slice() else {
                continue;
            };
            if domains.trim() != domain {
                continue;
            }
            let (Ok(commit), Ok(source)) = (
                ObjectId::from_hex(commit.trim().as_bytes()),
                ObjectId::from_hex(sources.trim().as_bytes()),
            ) else {
                continue;
            };
            if self.repo.has_object(source) {
                writes.push(RealmWrite {
                    commit,
                    subject: (*subject).to_owned(),
                    source,
                });
            }
        }
        Ok(writes)
    }

    /// [`CodeRepo::realm_writes`] read in process, as `git log` would list them; `None` where
    /// git's answer could differ (history replaced or cut short, `since` not on the line, a
    /// message whose trailers are not plain `Key: value` lines while it names the keys read):
    /// git answers then.
    fn realm_writes_read(
        &self,
        domain: &str,
        tip: ObjectId,
        since: Option<ObjectId>,
    ) -> Option<Vec<RealmWrite>> {
        let replaced = self
            .repo
            .references()
            .ok()?
            .prefixed("refs/replace/")
            .ok()?
            .next();
        if replaced.is_some() || self.repo.is_shallow().unwrap_or(true) {
            return None;
        }
        let since = since.filter(|s| self.repo.has_object(s));
        let mut writes = Vec::new();
        let mut at = Some(tip);
        while let Some(id) = at {
            if Some(id) == since {
                break;
            }
            let commit = self.repo.find_commit(id).ok()?;
            let decoded = commit.decode().ok()?;
            if decoded.encoding.is_some() {
                return None;
            }
            let message = decoded.message.to_str().ok()?;
            let (subject, domains, sources) = plain_trailers(message)?;
            if domains.as_deref() == Some(domain)
                && let Some(source) = sources.and_then(|s| ObjectId::from_hex(s.as_bytes()).ok())
                && self.repo.has_object(source)
            {
                writes.push(RealmWrite {
                    commit: id,
                    subject,
                    source,
                });
            }
            at = decoded.parents().next();
            if at.is_none() && since.is_some() {
                // `since` is not on the first-parent line: what it excludes is git's to say.
                return None;
            }
        }
        writes.reverse();
        Some(writes)
    }

    /// Where the last realm commit whose notes were reconciled is kept: one line,
    /// `<realm> <domain> <commit>`. Safe to delete: the next reconciliation reads the whole
    /// history again.
    fn reconciled_path(&self) -> std::path::PathBuf {
        self.common_dir().join("realm").join("notes-reconciled")
    }

    /// The realm commit up to which `domain`'s notes in `realm` were last reconciled.
    pub fn notes_reconciled(&self, realm: &str, domain: &str) -> Option<ObjectId> {
        let text = std::fs::read_to_string(self.reconciled_path()).ok()?;
        let mut fields = text.split_whitespace();
        if fields.next() != Some(realm) || fields.next() != Some(domain) {
            return None;
        }
        ObjectId::from_hex(fields.next()?.as_bytes()).ok()
    }

    pub fn set_notes_reconciled(&self, realm: &str, domain: &str, commit: ObjectId) -> Result<()> {
        let path = self.reconciled_path();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("failed to create `{}`", dir.display()))?;
        }
        // Written aside and renamed: a crash leaves the old line or the new one.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, format!("{realm} {domain} {commit}\n"))
            .with_context(|| format!("failed to write `{}`", partial.display()))?;
        std::fs::rename(&partial, &path)
            .with_context(|| format!("failed to write `{}`", path.display()))
    }

    /// Whether there are realm notes here that the code remote had not when last seen.
    pub fn notes_unshared(&self) -> Result<bool> {
        let Some(remote) = self.code_remote() else {
            return Ok(false);
        };
        let Some(ours) = self.ref_target(NOTES_REF)? else {
            return Ok(false);
        };
        Ok(self.ref_target(&format!("refs/notes/remotes/{remote}/realm"))? != Some(ours))
    }

    /// The note on `commit` under `refs/notes/realm`, if there is one.
    pub fn note(&self, commit: ObjectId) -> Result<Option<String>> {
        let Some(notes) = self.ref_target(NOTES_REF)? else {
            return Ok(None);
        };
        let mut tree = self
            .repo
            .find_tree(self.commit_tree(notes)?)
            .context("failed to read the notes tree")?;
        // git fans a notes tree out into `ab/cdef…`, `ab/cd/ef…` … as it grows.
        let hex = commit.to_hex().to_string();
        let mut rest = hex.as_str();
        loop {
            if let Some(entry) = tree.find_entry(rest)
                && entry.mode().is_blob()
            {
                let id = entry.object_id();
                return Ok(Some(self.blob(id)?.to_str_lossy().into_owned()));
            }
            let Some(entry) = tree
                .find_entry(&rest[..2])
                .filter(|e| e.mode().is_tree() && rest.len() > 2)
            else {
                return Ok(None);
            };
            let id = entry.object_id();
            tree = self
                .repo
                .find_tree(id)
                .context("failed to read the notes tree")?;
            rest = &rest[2..];
        }
    }

    /// Append `lines` to the note on `commit`, keeping it sorted and unique. Whether the note
    /// changed.
    pub fn add_note_lines(&self, commit: ObjectId, lines: &[String]) -> Result<bool> {
        let existing = self.note(commit)?.unwrap_or_default();
        let merged = merged_note(&existing, lines);
        if merged == existing {
            return Ok(false);
        }
        self.git()
            .args(["notes", "--ref", NOTES_REF, "add", "--force", "--file", "-"])
            .arg(commit.to_string())
            .stdin(merged)
            .run()
            .with_context(|| format!("failed to note commit {commit}"))?;
        Ok(true)
    }

    /// Make notes follow `git commit --amend` and `git rebase` (repository config; values
    /// the user already set are kept).
    ///
    /// The value is the pattern `refs/notes/realm*`: git warns "notes ref … is invalid" on
    /// every amend and rebase while a plain ref name does not exist yet, which it does not
    /// until the first sync; a pattern that matches nothing is silent.
    pub fn configure_notes(&self) -> Result<()> {
        let present = self
            .config_all("notes.rewriteRef")?
            .lines()
            .any(|v| [NOTES_REF, REWRITE_REF, "refs/notes/*"].contains(&v));
        if !present {
            self.git()
                .args(["config", "--add", "notes.rewriteRef", REWRITE_REF])
                .run()?;
        }
        for key in ["notes.rewrite.amend", "notes.rewrite.rebase"] {
            if self.config(key)?.is_none() {
                self.git().args(["config", key, "true"]).run()?;
            }
        }
        Ok(())
    }

    /// The remote code is pushed to: the branch's push remote, else `remote.pushDefault`, else
    /// the branch's remote, else `origin` or the only remote.
    pub fn code_remote(&self) -> Option<String> {
        let head = self.repo.head_name().ok().flatten();
        head.and_then(|name| {
            self.repo
                .branch_remote_name(name.shorten(), gix::remote::Direction::Push)
                .and_then(|n| n.as_symbol().map(str::to_owned))
        })
        .or_else(|| {
            self.repo
                .remote_default_name(gix::remote::Direction::Push)
                .map(|n| n.to_string())
        })
    }

    fn share_notes(&self) -> Result<Shared> {
        let Some(remote) = self.code_remote() else {
            return Ok(Shared::NoRemote);
        };
        let tracking = format!("refs/notes/remotes/{remote}/realm");
        for _attempt in 0..PUSH_ATTEMPTS {
            // A pattern, so that a remote without notes yet is not an error.
            let fetched = self
                .git()
                .args([
                    "-c",
                    "gc.auto=0",
                    "-c",
                    "maintenance.auto=false",
                    "fetch",
                    "--quiet",
                    "--no-tags",
                    "--no-write-fetch-head",
                    "--",
                ])
                .arg(&remote)
                .arg(format!("+{NOTES_REF}*:refs/notes/remotes/{remote}/realm*"))
                .within(self.network_timeout()?)
                .run();
            if let Err(e) = fetched {
                return Ok(Shared::NotPushed {
                    remote,
                    reason: format!("{e:#}"),
                });
            }
            self.merge_notes(&tracking)?;
            if self.ref_target(NOTES_REF)?.is_none() {
                return Ok(Shared::Nothing);
            }
            let update = format!("{NOTES_REF}:{NOTES_REF}");
            match self.push(&remote, &[update]) {
                Ok(PushOutcome::Pushed) => {
                    // The remote now has what we have: the next sync need not push.
                    if let Some(ours) = self.ref_target(NOTES_REF)? {
                        self.set_ref(&tracking, ours)?;
                    }
                    return Ok(Shared::Pushed { remote });
                }
                // Someone pushed notes since the fetch: fetch and merge again.
                Ok(PushOutcome::Rejected) => continue,
                Err(e) => {
                    return Ok(Shared::NotPushed {
                        remote,
                        reason: format!("{e:#}"),
                    });
                }
            }
        }
        Ok(Shared::NotPushed {
            remote,
            reason: format!("the remote's notes kept moving ({PUSH_ATTEMPTS} attempts)"),
        })
    }

    /// Merge the notes ref `theirs` into `refs/notes/realm`.
    fn merge_notes(&self, theirs: &str) -> Result<()> {
        let Some(their_tip) = self.ref_target(theirs)? else {
            return Ok(());
        };
        match self.ref_target(NOTES_REF)? {
            None => self.set_ref(NOTES_REF, their_tip),
            Some(ours) if ours == their_tip => Ok(()),
            Some(_) => {
                self.git()
                    .args([
                        "notes",
                        "--ref",
                        NOTES_REF,
                        "merge",
                        "--quiet",
                        "--strategy",
                        "cat_sort_uniq",
                        theirs,
                    ])
                    .run()
                    .context("failed to merge the realm notes fetched from the code remote")?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_stay_sorted_and_unique() {
        let a = "Realm-Export: r d/e 1.0.0 realm-commit=aaa".to_owned();
        let b = "Realm-Import: r d/e 1.0.0 realm-commit=bbb".to_owned();
        assert_eq!(
            merged_note("", &[b.clone(), a.clone()]),
            format!("{a}\n{b}\n")
        );
        assert_eq!(
            merged_note(&format!("{b}\n\n"), &[a.clone(), b.clone()]),
            format!("{a}\n{b}\n")
        );
    }

    #[test]
    fn lines_name_everything() {
        let id = ObjectId::from_hex(b"0123456789012345678901234567890123456789").unwrap();
        assert_eq!(
            export_line(
                "letemcook",
                "aperture",
                "required-s3-permissions",
                "1.4.0",
                id
            ),
            "Realm-Export: letemcook aperture/required-s3-permissions 1.4.0 realm-commit=0123456789012345678901234567890123456789"
        );
        assert!(import_line("r", "a", "c", "2.0.0", id).starts_with("Realm-Import: r a/c 2.0.0 "));
    }

    #[test]
    fn trailers_are_read_in_process_only_where_git_reads_them_the_same() {
        use super::plain_trailers;
        let plain = "sync aperture\n\nbody\n\nRealm-Domain: aperture\nsource-commit: abc\nSource-Commit: def\n";
        assert_eq!(
            plain_trailers(plain),
            Some((
                "sync aperture".to_owned(),
                Some("aperture".to_owned()),
                Some("abc,def".to_owned())
            ))
        );
        assert_eq!(
            plain_trailers("fix a\nb\n\nmore\n"),
            Some(("fix a b".to_owned(), None, None))
        );
        for unsure in [
            "Realm-Domain: a\n",
            "s\n\nRealm-Domain: a\n continued\n",
            "s\n\nRealm-Domain: a\nnot a trailer\n",
            "s\n\nRealm-Domain: a\n---\n",
            "two\nlines\n\nRealm-Domain: a\n",
        ] {
            assert_eq!(plain_trailers(unsure), None, "{unsure:?}");
        }
    }
}
