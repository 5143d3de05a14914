//! The tools' inputs (their JSON Schemas come from these types) and the operation each runs.
//!
//! A tool maps its input to the options of one operation of the library and runs it in the
//! repository the server was started in, with a context that keeps its messages.

use std::path::Path;

use anyhow::Result;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{self, BadInput};
use crate::ops::{self, Outcome};
use crate::output::Report;

/// What an operation that ran returns: the report's JSON (what `--json` prints), its human
/// form, the messages the command line writes to stderr, and how it ended.
#[derive(Debug)]
pub struct Answer {
    pub report: Value,
    pub human: String,
    pub messages: Vec<String>,
    pub outcome: Outcome,
}

/// An operation that could not run: the command line's `error:` and `hint:` lines, and the
/// messages written before them.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
    pub messages: Vec<String>,
}

impl Failure {
    fn of(err: &anyhow::Error, messages: Vec<String>) -> Failure {
        Failure {
            message: error::one_line(&format!("{err:#}")),
            hint: error::hint_of(err).map(error::one_line),
            messages,
        }
    }

    fn bad_input(message: impl Into<String>, hint: impl Into<String>) -> Failure {
        Failure::of(&BadInput::new(message, hint).into(), Vec::new())
    }

    /// The text the command line would write to stderr.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for message in &self.messages {
            text.push_str(&error::one_line(message));
            text.push('\n');
        }
        text.push_str(&format!("error: {}", self.message));
        if let Some(hint) = &self.hint {
            text.push_str(&format!("\nhint: {hint}"));
        }
        text
    }
}

pub type Answered = std::result::Result<Answer, Failure>;

/// Run an operation of the library in `cwd`, keeping its messages.
fn operation<R: Report>(
    cwd: &Path,
    op: impl FnOnce(&ops::Context) -> Result<(R, Outcome)>,
) -> Answered {
    let now = ops::now().map_err(|e| Failure::of(&e, Vec::new()))?;
    let ctx = ops::Context::keeping_messages(cwd.to_path_buf(), now);
    let ran = op(&ctx).and_then(|(report, outcome)| {
        let json = serde_json::to_value(&report)?;
        let mut human = Vec::new();
        report.human(&mut human)?;
        Ok((json, String::from_utf8_lossy(&human).into_owned(), outcome))
    });
    let messages = ctx.take_messages();
    match ran {
        Ok((report, human, outcome)) => Ok(Answer {
            report,
            human,
            messages,
            outcome,
        }),
        Err(err) => Err(Failure::of(&err, messages)),
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// Act on this realm only, of the realms the repository belongs to (default: each one, or
    /// the only one)
    #[serde(default)]
    pub realm: Option<String>,
}

pub fn status(cwd: &Path, input: StatusInput) -> Answered {
    let options = ops::StatusOptions { realm: input.realm };
    operation(cwd, |ctx| ops::status(ctx, options))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    /// Act on this realm only, of the realms the repository belongs to (default: each one, or
    /// the only one)
    #[serde(default)]
    pub realm: Option<String>,
    /// Check only this domain's exports
    #[serde(default)]
    pub exports: bool,
    /// Check only this domain's imports
    #[serde(default)]
    pub imports: bool,
    /// Compute exports at this revision (default HEAD); not with `worktree`
    #[serde(default)]
    pub rev: Option<String>,
    /// Compute exports from the working tree, including uncommitted changes
    #[serde(default)]
    pub worktree: bool,
    /// List, for every pattern of every export, the files and lines it comes from
    #[serde(default)]
    pub explain: bool,
}

pub fn check(cwd: &Path, input: CheckInput) -> Answered {
    let at = match (input.rev, input.worktree) {
        (Some(_), true) => {
            return Err(Failure::bad_input(
                "`rev` cannot be used with `worktree`",
                "give `rev` to check a commit, or `worktree` to check uncommitted changes",
            ));
        }
        (Some(rev), false) => ops::CheckAt::Rev(rev),
        (None, true) => ops::CheckAt::Worktree,
        (None, false) => ops::CheckAt::Head,
    };
    let options = ops::CheckOptions {
        realm: input.realm,
        exports: input.exports,
        imports: input.imports,
        at,
        explain: input.explain,
    };
    operation(cwd, |ctx| ops::check(ctx, options))
}

/// How `realm_graph` draws the graph in its text summary (the JSON is the same for all).
#[derive(Debug, Default, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GraphFormat {
    #[default]
    Text,
    Mermaid,
    Dot,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GraphInput {
    /// Act on this realm only, of the realms the repository belongs to (default: each one, or
    /// the only one)
    #[serde(default)]
    pub realm: Option<String>,
    /// Draw the summary as plain text, a Mermaid flowchart or Graphviz dot
    #[serde(default)]
    pub format: GraphFormat,
    /// Show the realm as of this revision (a realm branch, `main~3`, a commit)
    #[serde(default)]
    pub at: Option<String>,
}

pub fn graph(cwd: &Path, input: GraphInput) -> Answered {
    let options = ops::GraphOptions {
        realm: input.realm,
        format: match input.format {
            GraphFormat::Text => ops::GraphFormat::Text,
            GraphFormat::Mermaid => ops::GraphFormat::Mermaid,
            GraphFormat::Dot => ops::GraphFormat::Dot,
        },
        at: input.at,
    };
    operation(cwd, |ctx| ops::graph(ctx, options))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchInput {
    /// Act on this realm only, of the realms the repository belongs to (default: each one, or
    /// the only one)
    #[serde(default)]
    pub realm: Option<String>,
}

pub fn fetch(cwd: &Path, input: FetchInput) -> Answered {
    let options = ops::FetchOptions { realm: input.realm };
    operation(cwd, |ctx| ops::fetch(ctx, options))
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncInput {
    /// Act on this realm only, of the realms the repository belongs to (default: each one, or
    /// the only one)
    #[serde(default)]
    pub realm: Option<String>,
    /// Only show what would change, without fetching, writing or notifying (the default);
    /// pass `false` to publish
    #[serde(default = "yes")]
    pub dry_run: bool,
    /// Do not notify consumers
    #[serde(default)]
    pub no_notify: bool,
    /// Add this text to the realm commit's message
    #[serde(default)]
    pub message: Option<String>,
    /// Resolve imports whose binding does not grant the value, recording what is missing
    #[serde(default)]
    pub force: bool,
}

pub fn sync(cwd: &Path, input: SyncInput) -> Answered {
    let options = ops::SyncOptions {
        realm: input.realm,
        dry_run: input.dry_run,
        no_notify: input.no_notify,
        message: input.message,
        force: input.force,
    };
    operation(cwd, |ctx| ops::sync(ctx, options))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportInput {
    /// Act on this realm only, of the realms the repository belongs to (default: each one, or
    /// the only one)
    #[serde(default)]
    pub realm: Option<String>,
    /// Name the export (lowercase letters, digits and '-')
    pub name: String,
    /// Publish as this version instead of the computed one
    #[serde(default)]
    pub version: Option<String>,
    /// Take the value from this JSON value; one of `value`, `file` and `detect`
    #[serde(default)]
    pub value: Option<Value>,
    /// Take the value from this YAML or JSON file in the repository, and keep reading it
    #[serde(default)]
    pub file: Option<String>,
    /// Compute the value with the detector configured for this export
    #[serde(default)]
    pub detect: bool,
    /// Describe what the export is for
    #[serde(default)]
    pub description: Option<String>,
    /// Do not notify consumers of the new version
    #[serde(default)]
    pub no_notify: bool,
    /// Check the value against the JSON Schema in this YAML or JSON file
    #[serde(default)]
    pub schema: Option<String>,
}

pub fn export(cwd: &Path, input: ExportInput) -> Answered {
    let value = match (input.value, input.file, input.detect) {
        (Some(value), None, false) => ops::ExportValue::Json(value.to_string()),
        (None, Some(file), false) => ops::ExportValue::File(file),
        (None, None, true) => ops::ExportValue::Detect,
        _ => {
            return Err(Failure::bad_input(
                "give exactly one of `value`, `file` and `detect`",
                "`value` for a JSON value, `file` for a file in the repository, `detect: true` for the configured detector",
            ));
        }
    };
    let options = ops::ExportOptions {
        realm: input.realm,
        name: input.name,
        version: input.version,
        value,
        description: input.description,
        schema: input.schema,
        no_notify: input.no_notify,
    };
    operation(cwd, |ctx| ops::export(ctx, options))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportInput {
    /// Act on this realm only, of the realms the repository belongs to (default: each one, or
    /// the only one)
    #[serde(default)]
    pub realm: Option<String>,
    /// The export (contract) to import
    pub contract: String,
    /// The domain that exports it; `REALM/DOMAIN` for a domain of another realm
    pub from: String,
    /// With `from` as `REALM/DOMAIN`: where that realm lives, when this repository is not a
    /// member of it (it is fetched read-only, and the URL recorded in the import)
    #[serde(default)]
    pub from_url: Option<String>,
    /// Accept versions matching this semver requirement (default: ^<current major>)
    #[serde(default)]
    pub version: Option<String>,
    /// Do not close the provider's issue in this repository's tracker
    #[serde(default)]
    pub no_notify: bool,
    /// Name the file in this repository that uses the value
    #[serde(default)]
    pub binding: Option<String>,
    /// Record the import even when its binding does not grant the value, recording what is
    /// missing
    #[serde(default)]
    pub force: bool,
}

pub fn import(cwd: &Path, input: ImportInput) -> Answered {
    let options = ops::ImportOptions {
        realm: input.realm,
        contract: input.contract,
        from: input.from,
        from_url: input.from_url,
        version: input.version,
        binding: input.binding,
        no_notify: input.no_notify,
        force: input.force,
    };
    operation(cwd, |ctx| ops::import(ctx, options))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyInput {
    /// Act on this realm only, of the realms the repository belongs to (default: each one, or
    /// the only one)
    #[serde(default)]
    pub realm: Option<String>,
    /// Check only the commits after this revision (trusting it and its history)
    #[serde(default)]
    pub from: Option<String>,
    /// Check the history up to this revision (default: the realm's main branch)
    #[serde(default)]
    pub rev: Option<String>,
}

pub fn verify(cwd: &Path, input: VerifyInput) -> Answered {
    let options = ops::VerifyOptions {
        realm: input.realm,
        from: input.from,
        rev: input.rev,
    };
    operation(cwd, |ctx| ops::verify(ctx, options))
}

/// What a writing tool changed, in one line, read from its report's JSON; a report of several
/// realms (`{"realms": [...]}`) gives one line per realm, each naming it.
pub fn changed(tool: &str, report: &Value) -> Option<String> {
    if let Some(realms) = report.get("realms").and_then(Value::as_array) {
        let lines: Vec<String> = realms
            .iter()
            .filter_map(|one| {
                let line = changed_in_one(tool, one)?;
                Some(match one.get("realm").and_then(Value::as_str) {
                    Some(realm) => {
                        line.replacen("Changed:", &format!("Changed in realm '{realm}':"), 1)
                    }
                    None => line,
                })
            })
            .collect();
        return (!lines.is_empty()).then(|| lines.join("\n"));
    }
    changed_in_one(tool, report)
}

/// What a writing tool changed in one realm.
fn changed_in_one(tool: &str, report: &Value) -> Option<String> {
    let text = |key: &str| report.get(key).and_then(Value::as_str);
    let short = |commit: &str| commit.chars().take(12).collect::<String>();
    let line = match tool {
        "realm_fetch" => format!(
            "Changed: refs/realm/{}/heads/{} now at {}",
            text("realm")?,
            text("branch")?,
            short(text("commit")?)
        ),
        "realm_sync" if report.get("dry_run") == Some(&Value::Bool(true)) => {
            "Changed: nothing (dry run; pass dry_run: false to publish)".to_owned()
        }
        "realm_sync" => match (text("realm_commit"), text("proposal")) {
            (Some(commit), Some(proposal)) => format!(
                "Changed: pushed proposal {proposal} (realm commit {}), awaiting an approver",
                short(commit)
            ),
            (Some(commit), None) => format!("Changed: realm commit {} pushed", short(commit)),
            (None, _) => "Changed: nothing (the realm already records all this)".to_owned(),
        },
        "realm_export" | "realm_import" => match (text("commit"), text("proposal")) {
            (Some(commit), Some(proposal)) => format!(
                "Changed: pushed proposal {proposal} (realm commit {}), awaiting an approver",
                short(commit)
            ),
            (Some(commit), None) => format!("Changed: realm commit {} pushed", short(commit)),
            (None, _) => "Changed: nothing (the realm already records this)".to_owned(),
        },
        _ => return None,
    };
    Some(line)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn sync_is_a_dry_run_unless_asked() {
        let input: super::SyncInput = serde_json::from_value(json!({})).expect("parses");
        assert!(input.dry_run);
        let input: super::SyncInput =
            serde_json::from_value(json!({"dry_run": false})).expect("parses");
        assert!(!input.dry_run);
    }

    #[test]
    fn writing_tools_say_what_changed() {
        assert_eq!(
            super::changed(
                "realm_export",
                &json!({"commit": "0123456789abcdef0123", "proposal": null})
            )
            .as_deref(),
            Some("Changed: realm commit 0123456789ab pushed")
        );
        assert_eq!(
            super::changed("realm_sync", &json!({"dry_run": true})).as_deref(),
            Some("Changed: nothing (dry run; pass dry_run: false to publish)")
        );
        assert_eq!(super::changed("realm_status", &json!({})), None);
    }

    #[test]
    fn several_realms_say_what_changed_in_each() {
        let report = json!({"realms": [
            {"realm": "letemcook", "dry_run": false, "realm_commit": "0123456789abcdef0123"},
            {"realm": "ml-infra", "dry_run": false, "realm_commit": null},
        ]});
        assert_eq!(
            super::changed("realm_sync", &report).as_deref(),
            Some(
                "Changed in realm 'letemcook': realm commit 0123456789ab pushed\n\
                 Changed in realm 'ml-infra': nothing (the realm already records all this)"
            )
        );
        let fetched = json!({"realms": [
            {"realm": "a", "branch": "main", "commit": "aaaaaaaaaaaaaaaa"},
            {"realm": "b", "branch": "main", "commit": "bbbbbbbbbbbbbbbb"},
        ]});
        assert_eq!(
            super::changed("realm_fetch", &fetched).as_deref(),
            Some(
                "Changed in realm 'a': refs/realm/a/heads/main now at aaaaaaaaaaaa\n\
                 Changed in realm 'b': refs/realm/b/heads/main now at bbbbbbbbbbbb"
            )
        );
        assert_eq!(
            super::changed("realm_status", &json!({"realms": [{}]})),
            None
        );
    }
}
