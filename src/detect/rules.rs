//! `detect: rules`: regular expressions over chosen files, each capture going into a key.
//!
//! A rule is `{pattern, paths, into}`. `pattern` is a regular expression (Rust `regex` syntax)
//! with exactly one capture group; `^` and `$` match at line boundaries. `paths` are globs over
//! the repository-relative path: `*` stays within one directory, `**` crosses them, and a glob
//! without `/` matches the file name at any depth (as in `.gitignore`); no globs means every
//! file. Each match's capture, when not empty, goes into `into`.

use bstr::ByteSlice;
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use regex::{Regex, RegexBuilder};

use super::Findings;
use crate::error::BadInput;
use crate::realm::config::RuleConfig;

#[derive(Debug)]
pub struct Rules {
    rules: Vec<Rule>,
}

#[derive(Debug)]
struct Rule {
    pattern: Regex,
    /// `None`: every file.
    paths: Option<GlobSet>,
    into: String,
}

impl Rules {
    pub fn new(export: &str, configs: &[RuleConfig]) -> Result<Rules, BadInput> {
        if configs.is_empty() {
            return Err(BadInput::new(
                format!("export `{export}` uses `detect: rules` but lists no rules"),
                "add `rules: [{pattern: '...', paths: ['**'], into: key}]` to .realm/config.yaml",
            ));
        }
        let rules = configs
            .iter()
            .enumerate()
            .map(|(n, config)| Rule::new(export, n + 1, config))
            .collect::<Result<_, _>>()?;
        Ok(Rules { rules })
    }

    /// The keys this detector fills, so the value has each even when nothing was found.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.into.as_str())
    }

    pub fn wants(&self, path: &[u8]) -> bool {
        self.rules.iter().any(|r| r.applies_to(path))
    }

    pub fn scan(&self, path: &[u8], text: &str, findings: &mut Findings) {
        let mut line_starts: Option<Vec<usize>> = None;
        for rule in self.rules.iter().filter(|r| r.applies_to(path)) {
            findings.found.entry(rule.into.clone()).or_default();
            for captures in rule.pattern.captures_iter(text) {
                if let Some(found) = captures.get(1).filter(|m| !m.is_empty()) {
                    let starts = line_starts.get_or_insert_with(|| {
                        std::iter::once(0)
                            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                            .collect()
                    });
                    let line = starts.partition_point(|&s| s <= found.start());
                    findings.add(&rule.into, found.as_str().to_owned(), line as u32);
                }
            }
        }
    }
}

impl Rule {
    fn new(export: &str, n: usize, config: &RuleConfig) -> Result<Rule, BadInput> {
        let pattern = RegexBuilder::new(&config.pattern).multi_line(true).build().map_err(|err| {
            BadInput::new(
                format!(
                    "export `{export}`: rule {n}: pattern `{}` is not a valid regular expression: {}",
                    config.pattern,
                    last_line(&err.to_string())
                ),
                "fix the rule's `pattern:` in .realm/config.yaml (Rust regex syntax, e.g. `bucket: (\\S+)`)",
            )
        })?;
        let groups = pattern.captures_len() - 1;
        if groups != 1 {
            return Err(BadInput::new(
                format!(
                    "export `{export}`: rule {n}: pattern `{}` has {groups} capture groups; it needs exactly one",
                    config.pattern
                ),
                "wrap the part to export in `( )`, and write other groups as `(?: )`",
            ));
        }
        if config.into.trim().is_empty() {
            return Err(BadInput::new(
                format!("export `{export}`: rule {n}: `into:` is empty"),
                "name the key the captures go into, e.g. `into: topics`",
            ));
        }
        let paths = if config.paths.is_empty() {
            None
        } else {
            let mut set = GlobSetBuilder::new();
            for glob in &config.paths {
                set.add(compile_glob(glob).map_err(|err| {
                    BadInput::new(
                        format!("export `{export}`: rule {n}: `{glob}` is not a valid glob: {err}"),
                        "write paths from the repository root, e.g. `src/**/*.py`, or a file name such as `*.tf`",
                    )
                })?);
            }
            let set = set.build().map_err(|err| {
                BadInput::new(
                    format!("export `{export}`: rule {n}: its globs do not compile: {err}"),
                    "simplify the rule's `paths:`",
                )
            })?;
            Some(set)
        };
        Ok(Rule {
            pattern,
            paths,
            into: config.into.clone(),
        })
    }

    fn applies_to(&self, path: &[u8]) -> bool {
        match &self.paths {
            None => true,
            Some(set) => set.is_match(path.to_path_lossy()),
        }
    }
}

/// Globs as in `.gitignore`: a name without `/` matches at any depth, a leading `/` anchors.
pub(super) fn compile_glob(glob: &str) -> Result<Glob, globset::Error> {
    let glob = match glob.strip_prefix('/') {
        Some(anchored) => anchored.to_owned(),
        None if !glob.contains('/') => format!("**/{glob}"),
        None => glob.to_owned(),
    };
    GlobBuilder::new(&glob).literal_separator(true).build()
}

/// The regex crate's errors draw the pattern over several lines; the last one says what is wrong.
fn last_line(message: &str) -> &str {
    message
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message)
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pattern: &str, paths: &[&str], into: &str) -> RuleConfig {
        RuleConfig {
            pattern: pattern.to_owned(),
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
            into: into.to_owned(),
        }
    }

    fn scan(rules: &Rules, path: &str, text: &str) -> Findings {
        let mut findings = Findings::default();
        if rules.wants(path.as_bytes()) {
            rules.scan(path.as_bytes(), text, &mut findings);
        }
        findings
    }

    #[test]
    fn bad_patterns_name_the_export_and_pattern() {
        let err = Rules::new("topics", &[rule("topic=(\\w+", &[], "t")]).unwrap_err();
        assert!(err.message.contains("export `topics`"), "{}", err.message);
        assert!(err.message.contains("`topic=(\\w+`"), "{}", err.message);
        assert!(err.message.contains("unclosed group"), "{}", err.message);
        assert!(!err.message.contains('\n'), "{}", err.message);
        assert!(err.hint.is_some());

        let none = Rules::new("topics", &[rule("topic=\\w+", &[], "t")]).unwrap_err();
        assert!(
            none.message.contains("has 0 capture groups"),
            "{}",
            none.message
        );
        let two = Rules::new("topics", &[rule("(a)(b)", &[], "t")]).unwrap_err();
        assert!(
            two.message.contains("has 2 capture groups"),
            "{}",
            two.message
        );
        // Non-capturing groups do not count.
        assert!(Rules::new("topics", &[rule("(?:a|b)=(\\w+)", &[], "t")]).is_ok());

        let glob = Rules::new("topics", &[rule("(a)", &["src/[a-"], "t")]).unwrap_err();
        assert!(glob.message.contains("`src/[a-`"), "{}", glob.message);
        assert!(glob.message.contains("rule 1"), "{}", glob.message);
        assert!(Rules::new("topics", &[]).is_err());
        assert!(Rules::new("topics", &[rule("(a)", &[], " ")]).is_err());
    }

    #[test]
    fn globs_choose_files() {
        let rules = Rules::new(
            "topics",
            &[
                rule(r#"publish\("([\w.-]+)"\)"#, &["*.py"], "publishes"),
                rule(r"^topic: (\S+)$", &["/config/*.yaml"], "topics"),
            ],
        )
        .unwrap();
        assert!(rules.wants(b"app.py"));
        assert!(rules.wants(b"deep/in/tree/app.py"));
        assert!(rules.wants(b"config/kafka.yaml"));
        // `*` does not cross directories, and the leading `/` anchors at the root.
        assert!(!rules.wants(b"config/old/kafka.yaml"));
        assert!(!rules.wants(b"sub/config/kafka.yaml"));
        assert!(!rules.wants(b"README.md"));

        let found = scan(
            &rules,
            "svc/app.py",
            "publish(\"orders.created\")\nx = publish(\"orders.paid\")\n",
        );
        assert_eq!(
            found.items("publishes").iter().collect::<Vec<_>>(),
            ["orders.created", "orders.paid"]
        );
        // A rule whose globs do not match the file adds nothing, not even its key.
        assert!(!found.found.contains_key("topics"));

        // `^`/`$` are line anchors.
        let found = scan(
            &rules,
            "config/kafka.yaml",
            "name: x\ntopic: audit.log\n  topic: indented\n",
        );
        assert_eq!(
            found.items("topics").iter().collect::<Vec<_>>(),
            ["audit.log"]
        );
    }

    #[test]
    fn empty_captures_are_skipped_and_keys_listed() {
        let rules = Rules::new(
            "e",
            &[
                rule(r"env=(\w*)", &[], "envs"),
                rule(r"(x)", &["**/*.none"], "never"),
            ],
        )
        .unwrap();
        let found = scan(&rules, "a.txt", "env= env=prod env=prod env=dev");
        assert_eq!(
            found.items("envs").iter().collect::<Vec<_>>(),
            ["dev", "prod"]
        );
        assert_eq!(rules.keys().collect::<Vec<_>>(), ["envs", "never"]);
    }
}
