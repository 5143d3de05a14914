//! The name rule shared by realms, domains and exports, and the path rule for bindings.

use std::path::{Component, Path};

use crate::error::BadInput;

/// What a name may look like: `^[a-z0-9][a-z0-9-]{0,62}$`.
pub fn is_valid(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// Refuse `name` unless it follows the name rule; `what` says which kind of name it is.
pub fn check(what: &str, name: &str) -> Result<(), BadInput> {
    if is_valid(name) {
        Ok(())
    } else {
        Err(BadInput::new(
            format!("invalid {what} name `{}`", name.escape_debug()),
            "names are 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit",
        ))
    }
}

/// A path relative to a repository root that stays inside it, with `/` separators.
///
/// Lexical only: `root` is consulted to turn an absolute path into a relative one, and
/// the caller checks symlinks when it reads the file.
pub fn repo_relative(root: &Path, cwd: &Path, given: &str) -> Result<String, BadInput> {
    let escapes = || {
        BadInput::new(
            format!("path `{given}` is outside the repository"),
            "name a file inside this repository",
        )
    };
    let joined = if Path::new(given).is_absolute() {
        Path::new(given).to_path_buf()
    } else {
        cwd.join(given)
    };
    let rel = joined.strip_prefix(root).map_err(|_| escapes())?;
    let mut parts: Vec<String> = Vec::new();
    for component in rel.components() {
        match component {
            Component::Normal(part) => parts.push(
                part.to_str()
                    .ok_or_else(|| {
                        BadInput::new(format!("path `{given}` is not UTF-8"), "rename the file")
                    })?
                    .to_owned(),
            ),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop().ok_or_else(escapes)?;
            }
            Component::RootDir | Component::Prefix(_) => return Err(escapes()),
        }
    }
    if parts.is_empty() {
        return Err(BadInput::new(
            format!("path `{given}` names no file"),
            "name a file inside this repository",
        ));
    }
    if parts.iter().any(|p| is_git_dir(p)) {
        return Err(escapes());
    }
    Ok(parts.join("/"))
}

/// A path stored in a realm file (written by someone else) that must stay inside a repo.
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !is_git_dir(part))
}

/// `.git` in any case: on a case-insensitive file system `.GIT/config` is `.git/config`.
fn is_git_dir(part: &str) -> bool {
    part.eq_ignore_ascii_case(".git")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in [
            "aperture",
            "fungal-image-analysis",
            "a",
            "0x",
            &"a".repeat(63),
        ] {
            assert!(is_valid(good), "{good}");
        }
        for bad in [
            "",
            "-a",
            "Bad Name",
            "../x",
            "a_b",
            "A",
            "é",
            &"a".repeat(64),
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn relative_paths_stay_inside() {
        let root = Path::new("/r");
        assert_eq!(
            repo_relative(root, Path::new("/r/sub"), "../cdk/x.py").unwrap(),
            "cdk/x.py"
        );
        assert_eq!(repo_relative(root, root, "/r/a/./b").unwrap(), "a/b");
        assert!(repo_relative(root, root, "../x").is_err());
        assert!(repo_relative(root, root, "/etc/passwd").is_err());
        assert!(repo_relative(root, root, "a/../../x").is_err());
        assert!(repo_relative(root, root, ".git/config").is_err());
        assert!(is_safe_relative("cdk/x.py"));
        assert!(!is_safe_relative("../x"));
        assert!(!is_safe_relative("/x"));
        assert!(!is_safe_relative("a//b"));
        assert!(!is_safe_relative(".GIT/config"));
        assert!(!is_safe_relative("sub/.git/config"));
        assert!(repo_relative(root, root, "sub/.Git/config").is_err());
    }
}
