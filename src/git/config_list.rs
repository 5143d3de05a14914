//! Git config read with one process per command: `git config --list -z` prints every value
//! git itself would consult (every scope, includes, `git -c` and `GIT_CONFIG_*` from the
//! environment) in the order git reads them, so the last value of a key is the one
//! `git config --get` prints. Read again after a git command that may have written config.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Result;

use super::command::{self, Git};

/// The config listed last: the directory, the count of config-writing git commands it was
/// listed after, and the list (`None`: git could not list it).
type Listed = (PathBuf, u64, Option<Arc<ConfigList>>);

static LISTED: Mutex<Option<Listed>> = Mutex::new(None);

/// Every `key value` pair git's config holds, keys in git's canonical form (section and
/// variable name lowercased, the subsection as written).
pub struct ConfigList {
    entries: Vec<(String, Option<String>)>,
}

impl ConfigList {
    /// [`ConfigList::load`] for `dir`, listed again only after a git command that may have
    /// written config, or a repository found anew ([`command::forget_config`]).
    pub fn cached(dir: &Path) -> Result<Option<Arc<ConfigList>>> {
        let mut listed = LISTED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, writes, list)) = listed.as_ref()
            && at == dir
            && *writes == command::config_writes()
        {
            return Ok(list.clone());
        }
        let writes = command::config_writes();
        let list = ConfigList::load(dir)?.map(Arc::new);
        *listed = Some((dir.to_owned(), writes, list.clone()));
        Ok(list)
    }

    /// The config as git sees it in `dir`; `None` when git cannot list it (a malformed file),
    /// and each key is then asked for on its own, as before.
    pub fn load(dir: &Path) -> Result<Option<ConfigList>> {
        let (_, output) = Git::in_dir(dir).args(["config", "--list", "-z"]).output()?;
        if !output.status.success() {
            return Ok(None);
        }
        let entries = output
            .stdout
            .split(|&b| b == 0)
            .filter(|item| !item.is_empty())
            .map(|item| {
                let item = String::from_utf8_lossy(item);
                match item.split_once('\n') {
                    Some((key, value)) => (key.to_owned(), Some(value.to_owned())),
                    // A key without `=`: git's implicit `true`, printed as an empty value.
                    None => (item.into_owned(), None),
                }
            })
            .collect();
        Ok(Some(ConfigList { entries }))
    }

    /// What `git config --get KEY` prints (without its newline): the last value, `""` for
    /// a key written without a value; `None` when the key is not set or is not a valid name.
    pub fn get(&self, key: &str) -> Option<String> {
        let key = canonical(key)?;
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone().unwrap_or_default())
    }

    /// What `git config --get-all KEY` prints, one value a line.
    pub fn get_all(&self, key: &str) -> String {
        let Some(key) = canonical(key) else {
            return String::new();
        };
        let mut out = String::new();
        for (_, value) in self.entries.iter().filter(|(k, _)| *k == key) {
            out.push_str(value.as_deref().unwrap_or_default());
            out.push('\n');
        }
        out
    }

    /// What `git config --get-regexp PATTERN` prints: `key value` lines (`key` alone for a
    /// key without a value); `None` when git would refuse the pattern.
    pub fn matching(&self, pattern: &str) -> Option<String> {
        // Git lowercases the pattern's first and last dot-separated parts, as it does keys.
        let pattern = canonical_parts(pattern);
        let regex = regex::Regex::new(&pattern).ok()?;
        let mut out = String::new();
        for (key, value) in self.entries.iter().filter(|(k, _)| regex.is_match(k)) {
            out.push_str(key);
            if let Some(value) = value {
                out.push(' ');
                out.push_str(value);
            }
            out.push('\n');
        }
        Some(out)
    }
}

/// `key` in git's canonical form, or `None` when it has no section or no variable name.
fn canonical(key: &str) -> Option<String> {
    let (section, _) = key.split_once('.')?;
    let (_, name) = key.rsplit_once('.')?;
    if section.is_empty() || name.is_empty() {
        return None;
    }
    Some(canonical_parts(key))
}

/// The text before the first dot and after the last one lowercased.
fn canonical_parts(key: &str) -> String {
    let first = key.find('.').unwrap_or(key.len());
    let last = key.rfind('.').map_or(0, |i| i + 1);
    key.char_indices()
        .map(|(i, c)| {
            if i < first || i >= last {
                c.to_ascii_lowercase()
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ConfigList;

    fn list(entries: &[(&str, Option<&str>)]) -> ConfigList {
        ConfigList {
            entries: entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
                .collect(),
        }
    }

    #[test]
    fn keys_match_as_git_matches_them() {
        let config = list(&[
            ("user.email", Some("a@example.com")),
            ("realm.Foo.forge", Some("github")),
            ("user.email", Some("b@example.com")),
            ("core.bare", None),
        ]);
        assert_eq!(config.get("User.Email").as_deref(), Some("b@example.com"));
        assert_eq!(config.get("realm.Foo.Forge").as_deref(), Some("github"));
        assert_eq!(config.get("realm.foo.forge"), None);
        assert_eq!(config.get("core.bare").as_deref(), Some(""));
        assert_eq!(config.get("user"), None);
        assert_eq!(
            config.get_all("user.email"),
            "a@example.com\nb@example.com\n"
        );
        assert_eq!(
            config
                .matching(r"^realm\..+\.(forge|apiurl|tokenenv)$")
                .as_deref(),
            Some("realm.Foo.forge github\n")
        );
        assert_eq!(config.matching("^core").as_deref(), Some("core.bare\n"));
    }
}
