//! SHA-1 and SHA-256 repositories. The realm is fetched into each code repository, so the two
//! share one object database and must hash alike; git refuses to fetch across formats, and
//! this module says what that means for a realm.

use std::fmt;
use std::path::Path;

use crate::error::BadInput;

/// An object format as git names it (`sha1`, `sha256`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectFormat {
    Sha1,
    Sha256,
}

impl ObjectFormat {
    pub fn of(repo: &gix::Repository) -> ObjectFormat {
        match repo.object_hash() {
            gix::hash::Kind::Sha256 => ObjectFormat::Sha256,
            _ => ObjectFormat::Sha1,
        }
    }

    /// The name git's `--object-format` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectFormat::Sha1 => "sha1",
            ObjectFormat::Sha256 => "sha256",
        }
    }

    fn from_git(name: &str) -> Option<ObjectFormat> {
        match name {
            "sha1" => Some(ObjectFormat::Sha1),
            "sha256" => Some(ObjectFormat::Sha256),
            _ => None,
        }
    }

    fn other(self) -> ObjectFormat {
        match self {
            ObjectFormat::Sha1 => ObjectFormat::Sha256,
            ObjectFormat::Sha256 => ObjectFormat::Sha1,
        }
    }
}

impl fmt::Display for ObjectFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectFormat::Sha1 => "SHA-1",
            ObjectFormat::Sha256 => "SHA-256",
        })
    }
}

/// A fetch git refused because the realm hashes differently from this repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatMismatch {
    pub ours: ObjectFormat,
    pub realm: ObjectFormat,
}

impl FormatMismatch {
    /// The mismatch git reported on `stderr` of a fetch, if that is why it failed:
    /// "mismatched algorithms: client sha1; server sha256", or, from a server that speaks
    /// only SHA-1, "the server does not support algorithm 'sha256'".
    pub fn from_stderr(stderr: &str) -> Option<FormatMismatch> {
        if let Some(rest) = stderr.split("mismatched algorithms: client ").nth(1) {
            let (client, rest) = rest.split_once(';')?;
            let server = rest.trim_start().strip_prefix("server ")?;
            let server = server.split(|c: char| !c.is_ascii_alphanumeric()).next()?;
            return Some(FormatMismatch {
                ours: ObjectFormat::from_git(client.trim())?,
                realm: ObjectFormat::from_git(server)?,
            });
        }
        let rest = stderr
            .split("the server does not support algorithm '")
            .nth(1)?;
        let ours = ObjectFormat::from_git(rest.split('\'').next()?)?;
        Some(FormatMismatch {
            ours,
            realm: ours.other(),
        })
    }

    /// The refusal, for the realm at `location` (as the user named it).
    pub fn refusal(&self, location: &str) -> BadInput {
        BadInput::new(
            format!(
                "realm `{location}` is a {} repository and this one is {}: a repository can \
                 only be a domain of a realm with the same object format",
                self.realm, self.ours
            ),
            format!(
                "join a {ours} realm ('git rev-parse --show-object-format' in a realm shows \
                 its format), or create one with 'git realm init --object-format {} --name \
                 NAME PATH'",
                self.ours.as_str(),
                ours = self.ours,
            ),
        )
    }
}

impl fmt::Display for FormatMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the realm is a {} repository and this one is {}",
            self.realm, self.ours
        )
    }
}

impl std::error::Error for FormatMismatch {}

/// The object format of the repository at `path`, if there is one.
pub fn format_of(path: &Path) -> Option<ObjectFormat> {
    let repo = gix::open_opts(path, gix::open::Options::isolated()).ok()?;
    Some(ObjectFormat::of(&repo))
}

/// A repository that has no refs yet, which `git realm init` may turn into a realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmptyRepo {
    pub bare: bool,
    pub format: ObjectFormat,
}

/// `path` as an existing repository without a single ref, or `None` when it is not a
/// repository or already holds something.
pub fn empty_repo(path: &Path) -> Option<EmptyRepo> {
    let repo = gix::open_opts(path, gix::open::Options::isolated()).ok()?;
    let refs = repo.references().ok()?;
    if refs.all().ok()?.next().is_some() {
        return None;
    }
    Some(EmptyRepo {
        bare: repo.workdir().is_none(),
        format: ObjectFormat::of(&repo),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatches_are_read_from_git() {
        let sha1_client = "fatal: mismatched algorithms: client sha1; server sha256\n";
        assert_eq!(
            FormatMismatch::from_stderr(sha1_client),
            Some(FormatMismatch {
                ours: ObjectFormat::Sha1,
                realm: ObjectFormat::Sha256
            })
        );
        assert_eq!(
            FormatMismatch::from_stderr("fatal: mismatched algorithms: client sha256; server sha1"),
            Some(FormatMismatch {
                ours: ObjectFormat::Sha256,
                realm: ObjectFormat::Sha1
            })
        );
        assert_eq!(
            FormatMismatch::from_stderr("fatal: the server does not support algorithm 'sha256'\n"),
            Some(FormatMismatch {
                ours: ObjectFormat::Sha256,
                realm: ObjectFormat::Sha1
            })
        );
        for other in [
            "fatal: 'x' does not appear to be a git repository",
            "fatal: mismatched algorithms: client sha1; server blake3",
            "",
        ] {
            assert_eq!(FormatMismatch::from_stderr(other), None, "{other}");
        }
    }

    #[test]
    fn refusals_name_both_formats() {
        let refusal = FormatMismatch {
            ours: ObjectFormat::Sha1,
            realm: ObjectFormat::Sha256,
        }
        .refusal("../realm");
        assert_eq!(
            refusal.message,
            "realm `../realm` is a SHA-256 repository and this one is SHA-1: a repository can \
             only be a domain of a realm with the same object format"
        );
        assert!(
            refusal
                .hint
                .is_some_and(|h| h.contains("--object-format sha1"))
        );
    }
}
