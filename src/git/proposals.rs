//! Reading a proposal from the fetched realm: its commit, what it changes, and the trees
//! `approve` merges.

use anyhow::Result;
use gix::ObjectId;

use super::{CodeRepo, TreeSource};

/// A proposal branch's commit.
pub struct ProposalCommit {
    pub id: ObjectId,
    /// The realm commit it was made on, when it has a parent.
    pub base: Option<ObjectId>,
    pub message: String,
}

impl CodeRepo {
    /// The commit `id` a proposal branch points at.
    pub fn proposal_commit(&self, id: ObjectId) -> Result<ProposalCommit> {
        let commit = self.repo.find_commit(id)?;
        Ok(ProposalCommit {
            id,
            base: commit.parent_ids().next().map(|id| id.detach()),
            message: commit.message_raw_sloppy().to_string(),
        })
    }

    /// The paths of the files that differ between the trees of `from` and `to`.
    pub fn changed_paths(&self, from: ObjectId, to: ObjectId) -> Result<Vec<String>> {
        let changed = self
            .git()
            .args([
                "diff-tree",
                "-r",
                "--name-only",
                "--no-commit-id",
                &from.to_string(),
                &to.to_string(),
            ])
            .run()?;
        Ok(changed.lines().map(str::to_owned).collect())
    }

    /// The tree of `commit`, read as a realm.
    pub fn realm_tree(&self, commit: ObjectId) -> Result<TreeSource<'_>> {
        Ok(TreeSource::new(&self.repo, self.commit_tree(commit)?))
    }
}
