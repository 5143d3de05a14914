//! Verified bindings: an import with a verifier (`verify: s3-iam` in .realm/config.yaml) is
//! current only when its binding file grants the value.

use anyhow::Result;

use super::Member;
use super::detection::At;
use crate::error::BadInput;
use crate::git::CodeRepo;
use crate::realm::config::Membership;
use crate::realm::config::VerifierKind;
use crate::realm::grants::{self, Coverage};
use crate::realm::model::Import;
use crate::realm::snapshot::Snapshot;
use crate::realm::status::{self, Elsewhere, ImportState};

/// What a verifier found of one import's binding.
pub struct Verdict {
    pub coverage: Coverage,
}

impl Verdict {
    pub fn missing(&self) -> Vec<String> {
        self.coverage
            .missing
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

/// Check `import`'s binding at `at` against the value it imports; `None` without a verifier
/// or while the version consumers see is not the export's latest value.
pub fn verify(
    member: &Member,
    snapshot: &Snapshot,
    import: &Import,
    at: At,
    today: &str,
) -> Result<Option<Verdict>> {
    if member
        .config
        .import_check(&import.from, &import.contract)
        .is_none()
    {
        return Ok(None);
    }
    let elsewhere = if import.is_across(&snapshot.realm.name) {
        elsewhere(member, snapshot)?
    } else {
        Elsewhere::default()
    };
    verify_in(member, snapshot, &elsewhere, import, at, today)
}

/// [`verify`] of an import recorded in `snapshot`, its provider perhaps `elsewhere`.
pub fn verify_in(
    member: &Member,
    snapshot: &Snapshot,
    elsewhere: &Elsewhere,
    import: &Import,
    at: At,
    today: &str,
) -> Result<Option<Verdict>> {
    let Some(check) = member.config.import_check(&import.from, &import.contract) else {
        return Ok(None);
    };
    let Some(value) = status::granted_value_in(snapshot, elsewhere, import, today) else {
        return Ok(None);
    };
    match check.verify {
        VerifierKind::S3Iam => {}
    }
    let needs = grants::needs(value, check.bucket.as_deref()).map_err(|e| {
        BadInput::new(
            format!("import `{}` from {}: {e}", import.contract, import.from),
            "add `bucket: <name>` beside `verify: s3-iam` in .realm/config.yaml",
        )
    })?;
    let gap_for_all = |reason: String| Coverage {
        missing: needs
            .iter()
            .map(|n| grants::Gap {
                bucket: n.bucket.clone(),
                path: n.path.clone(),
                access: n.access,
                reason: reason.clone(),
            })
            .collect(),
        over_grants: Vec::new(),
    };
    let Some(path) = &import.binding else {
        return Ok(Some(Verdict {
            coverage: gap_for_all("the import names no binding file".to_owned()),
        }));
    };
    let bytes = match at {
        At::Commit(commit) => member.repo.file_at(commit, path)?,
        At::Worktree => member.repo.worktree_file(path.as_bytes())?,
    };
    let Some(bytes) = bytes else {
        return Ok(Some(Verdict {
            coverage: gap_for_all(format!("the binding `{path}` does not exist")),
        }));
    };
    let text = String::from_utf8_lossy(&bytes);
    let statements = grants::extract(path, &text, check.bucket.as_deref()).map_err(|e| {
        BadInput::new(
            format!("{path}:{}: {}", e.line, e.message),
            "s3-iam resolves string constants, f-strings, template literals and `+` within the file; spell the ARN out there, or remove `verify:` from the import in .realm/config.yaml",
        )
    })?;
    Ok(Some(Verdict {
        coverage: grants::coverage(&needs, &statements),
    }))
}

/// Every import of this domain, as the realm stands and as their bindings at `at` grant them.
pub fn imports_of(
    member: &Member,
    snapshot: &Snapshot,
    at: At,
    today: &str,
) -> Result<Vec<ImportState>> {
    let domain = &member.config.realm.domain;
    let Some(state) = snapshot.domain(domain) else {
        return Ok(Vec::new());
    };
    // Other realms are read only for imports across realms (the pre-push hook's budget).
    let here = &snapshot.realm.name;
    let elsewhere = if state.imports.imports.iter().any(|i| i.is_across(here)) {
        elsewhere(member, snapshot)?
    } else {
        Elsewhere::default()
    };
    let mut out = Vec::new();
    for import in &state.imports.imports {
        let mut computed = status::import_state_in(snapshot, &elsewhere, import, today);
        if let Some(verdict) = verify_in(member, snapshot, &elsewhere, import, at, today)? {
            status::apply_grants(
                &mut computed,
                verdict.missing(),
                verdict.coverage.over_grants.clone(),
            );
        }
        out.push(computed);
    }
    Ok(out)
}

/// The realms other than `member`'s that its imports and consumers may be in, as last
/// fetched: the repository's other memberships, and the realms this domain imports from
/// read-only (`realm_url:` in its imports in `snapshot`). A realm that cannot be read is
/// listed with why, for the imports that name it to say.
pub fn elsewhere(member: &Member, snapshot: &Snapshot) -> Result<Elsewhere> {
    elsewhere_of(&member.repo, &member.config.realm, snapshot)
}

/// [`elsewhere`] for `repo` as a member of `here`.
pub fn elsewhere_of(repo: &CodeRepo, here: &Membership, snapshot: &Snapshot) -> Result<Elsewhere> {
    let mut out = Elsewhere::default();
    for realm in realms_elsewhere(repo, here, snapshot)? {
        read_into(repo, &realm, &mut out);
    }
    Ok(out)
}

/// The realms [`elsewhere_of`] reads: the repository's other memberships, then the realms
/// this domain imports from read-only.
fn realms_elsewhere(
    repo: &CodeRepo,
    here: &Membership,
    snapshot: &Snapshot,
) -> Result<Vec<Membership>> {
    let mut realms: Vec<Membership> = super::read_config(repo)?
        .map(|file| {
            file.memberships
                .into_iter()
                .map(|m| m.realm)
                .filter(|m| m.name != here.name)
                .collect()
        })
        .unwrap_or_default();
    for realm in read_only_realms(repo, here, snapshot) {
        if !realms.iter().any(|m| m.name == realm.name) {
            realms.push(realm);
        }
    }
    Ok(realms)
}

/// Bring the other realms this domain's imports and consumers may be in (see [`elsewhere`])
/// up to date, as `status` and `check` do their own realm: fetched when due
/// ([`super::freshness`]), what was fetched before when they do not answer.
pub fn freshen_elsewhere(
    ctx: &crate::context::Context,
    member: &Member,
    snapshot: &Snapshot,
) -> Result<()> {
    for realm in realms_elsewhere(&member.repo, &member.config.realm, snapshot)? {
        super::freshness::freshen_membership(ctx, &member.repo, &realm)?;
    }
    Ok(())
}

/// Fetch the realms this domain imports from read-only (`realm_url:`), quietly keeping the
/// state fetched before when one cannot be reached.
pub fn fetch_read_only(ctx: &crate::context::Context, member: &Member, snapshot: &Snapshot) {
    for realm in read_only_realms(&member.repo, &member.config.realm, snapshot) {
        if let Err(err) = member.repo.fetch_realm(&realm) {
            ctx.warn(format!(
                "warning: could not fetch realm `{}` (imported read-only): {err:#}",
                realm.name
            ));
        }
    }
}

/// The realms this domain's imports in `snapshot` name with a `realm_url:`, which the
/// repository is not a member of.
fn read_only_realms(repo: &CodeRepo, here: &Membership, snapshot: &Snapshot) -> Vec<Membership> {
    let members: Vec<String> = super::read_config(repo)
        .ok()
        .flatten()
        .map(|f| f.names().into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut out: Vec<Membership> = Vec::new();
    let Some(state) = snapshot.domain(&here.domain) else {
        return out;
    };
    for import in &state.imports.imports {
        if let (Some(name), Some(url)) = (&import.realm, &import.realm_url)
            && name != &here.name
            && !members.contains(name)
            && !out.iter().any(|m| &m.name == name)
        {
            out.push(read_only(name, url));
        }
    }
    out
}

/// A realm this repository reads without being a member of it.
pub fn read_only(name: &str, url: &str) -> Membership {
    Membership {
        name: name.to_owned(),
        url: url.to_owned(),
        domain: String::new(),
        branch: "main".to_owned(),
        extra: Default::default(),
    }
}

fn read_into(repo: &CodeRepo, realm: &Membership, out: &mut Elsewhere) {
    match repo.fetched_realm(realm) {
        Ok((_, snapshot)) => {
            out.realms.insert(realm.name.clone(), snapshot);
        }
        Err(err) => {
            out.missing.insert(realm.name.clone(), format!("{err:#}"));
        }
    }
}
