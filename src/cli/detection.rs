//! Computing an export's value from this repository, at a commit or in the working tree.

use anyhow::Result;
use gix::ObjectId;
use serde_json::Value;

use super::membership::Member;
use crate::detect::{self, Detector, Findings};
use crate::error::BadInput;
use crate::realm::config::ExportSource;
use crate::realm::yaml;

/// Where values are computed: a commit's blobs, or the working tree as it is.
#[derive(Debug, Clone, Copy)]
pub enum At {
    Commit(ObjectId),
    Worktree,
}

/// The value `source` yields at `at` (`None`: HEAD).
pub fn compute(member: &Member, source: &ExportSource, at: Option<At>) -> Result<Value> {
    let repo = &member.repo;
    let at = match at {
        Some(at) => at,
        None => At::Commit(repo.head_commit().ok_or_else(|| {
            BadInput::new("this repository has no commit yet", "commit the code to detect from, or use --worktree")
        })?),
    };
    if let Some(file) = &source.file {
        let bytes = match at {
            At::Commit(commit) => repo.file_at(commit, file)?,
            At::Worktree => repo.worktree_file(file.as_bytes())?,
        };
        let bytes = bytes.ok_or_else(|| {
            BadInput::new(
                format!("export `{}` reads `{file}`, which does not exist here", source.name),
                "restore the file, or change the export's source in .realm/config.yaml",
            )
        })?;
        return Ok(yaml::from_slice(file, &bytes)?);
    }
    let detector = Detector::new(source)?;
    let mut findings: Vec<Findings> = Vec::new();
    match at {
        At::Commit(commit) => {
            for file in repo.files_at(commit)? {
                if detector.wants(&file.path) {
                    findings.push(detector.scan(&file.path, &repo.blob(file.id)?));
                }
            }
        }
        At::Worktree => {
            for path in repo.worktree_files()? {
                if detector.wants(&path)
                    && let Some(bytes) = repo.worktree_file(&path)?
                {
                    findings.push(detector.scan(&path, &bytes));
                }
            }
        }
    }
    Ok(detect::assemble(&findings))
}
