//! `git realm mcp`: the realm's operations as a Model Context Protocol server on stdio, for
//! coding assistants. Stdout carries protocol messages only; logs go to stderr.

mod resources;
mod tools;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt, tool, tool_handler, tool_router};

use crate::ops::Outcome;
use tools::{Answered, Failure};

/// Serve the tools and resources of the domain at `cwd` on stdin and stdout until the client
/// closes the stream.
pub fn serve(cwd: PathBuf) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to start the MCP server's runtime")?;
    eprintln!("git-realm mcp: serving {} on stdio", cwd.display());
    runtime.block_on(async {
        let service = RealmServer::new(cwd)
            .serve(rmcp::transport::stdio())
            .await
            .context("failed to start the MCP session")?;
        service
            .waiting()
            .await
            .context("the MCP session ended with an error")?;
        Ok(())
    })
}

#[derive(Clone)]
struct RealmServer {
    cwd: Arc<PathBuf>,
    tool_router: ToolRouter<RealmServer>,
}

#[tool_router]
impl RealmServer {
    fn new(cwd: PathBuf) -> RealmServer {
        RealmServer {
            cwd: Arc::new(cwd),
            tool_router: Self::tool_router(),
        }
    }

    /// Run a tool's operation off the protocol's thread (operations block on git and the
    /// network) and turn what it returns into the tool's result.
    async fn run<I: Send + 'static>(
        &self,
        tool: &'static str,
        input: I,
        op: fn(&std::path::Path, I) -> Answered,
    ) -> Result<CallToolResult, ErrorData> {
        let cwd = Arc::clone(&self.cwd);
        let answered = tokio::task::spawn_blocking(move || op(&cwd, input))
            .await
            .map_err(|e| ErrorData::internal_error(format!("`{tool}` stopped: {e}"), None))?;
        Ok(result(tool, answered))
    }

    /// The realm as it concerns this domain: export drift in the working tree, who consumes
    /// each export, this domain's imports (stale ones with their changes and the binding file
    /// to edit), breaking changes announced, pending proposals. Reads the last fetched realm,
    /// fetched first when due (`realm.fetchInterval`) and `fetched_at` says when; no other
    /// writes. The JSON is what `git realm status --json` prints.
    #[tool(annotations(title = "Realm status", read_only_hint = true, open_world_hint = false))]
    async fn realm_status(
        &self,
        Parameters(input): Parameters<tools::StatusInput>,
    ) -> Result<CallToolResult, ErrorData> {
        self.run("realm_status", input, tools::status).await
    }

    /// Report export drift (what the code at HEAD, or another revision or the working tree,
    /// changes against what the realm records: additions are minor, removals breaking) and
    /// stale, broken or ungranted imports. Outcome `findings` where the command exits 1. Reads
    /// the last fetched realm, fetched first when due (`realm.fetchInterval`) and `fetched_at`
    /// says when. The JSON is what `git realm check --json` prints.
    #[tool(annotations(title = "Check drift", read_only_hint = true, open_world_hint = false))]
    async fn realm_check(
        &self,
        Parameters(input): Parameters<tools::CheckInput>,
    ) -> Result<CallToolResult, ErrorData> {
        self.run("realm_check", input, tools::check).await
    }

    /// The realm's dependency graph: every domain, and one edge per import from the consuming
    /// domain to the providing one, with the contract, version requirement and status. Reads
    /// the last fetched realm. The JSON is what `git realm graph --json` prints.
    #[tool(annotations(
        title = "Dependency graph",
        read_only_hint = true,
        open_world_hint = false
    ))]
    async fn realm_graph(
        &self,
        Parameters(input): Parameters<tools::GraphInput>,
    ) -> Result<CallToolResult, ErrorData> {
        self.run("realm_graph", input, tools::graph).await
    }

    /// Fetch the realm into this repository (refs/realm/<realm>/), so status, check and graph
    /// read its latest state. Writes those refs and realm notes a command stopped before
    /// writing; touches no branch or file. The JSON is what `git realm fetch --json` prints.
    #[tool(annotations(
        title = "Fetch the realm",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = true
    ))]
    async fn realm_fetch(
        &self,
        Parameters(input): Parameters<tools::FetchInput>,
    ) -> Result<CallToolResult, ErrorData> {
        self.run("realm_fetch", input, tools::fetch).await
    }

    /// Publish changed exports (new versions with changelog entries) and resolve stale
    /// imports as one realm commit, pushed to the realm, and notify consumers. A DRY RUN
    /// unless `dry_run: false` is passed: the dry run shows the plan from the last fetched
    /// realm and changes nothing. The JSON is what `git realm sync --json` prints.
    #[tool(annotations(
        title = "Sync with the realm",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn realm_sync(
        &self,
        Parameters(input): Parameters<tools::SyncInput>,
    ) -> Result<CallToolResult, ErrorData> {
        self.run("realm_sync", input, tools::sync).await
    }

    /// Declare or update an export of this domain, pushed to the realm as one commit (a
    /// proposal when it is a breaking change that needs approval). The value comes from
    /// exactly one of `value` (JSON), `file` (a file in this repository that stays the
    /// export's source) or `detect`. The JSON is what `git realm export --json` prints.
    #[tool(annotations(
        title = "Export a value",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn realm_export(
        &self,
        Parameters(input): Parameters<tools::ExportInput>,
    ) -> Result<CallToolResult, ErrorData> {
        self.run("realm_export", input, tools::export).await
    }

    /// Declare that this domain depends on another domain's export (a contract), with the
    /// version requirement it accepts and the binding file here that uses the value; pushed to
    /// the realm as one commit. The JSON is what `git realm import --json` prints.
    #[tool(annotations(
        title = "Import a contract",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = true
    ))]
    async fn realm_import(
        &self,
        Parameters(input): Parameters<tools::ImportInput>,
    ) -> Result<CallToolResult, ErrorData> {
        self.run("realm_import", input, tools::import).await
    }

    /// Check the realm's history against its trust rules (who may change what, signatures,
    /// approvals); lists every commit that breaks one. Outcome `findings` when it finds any.
    /// The JSON is what `git realm verify --json` prints.
    #[tool(annotations(
        title = "Verify the realm's history",
        read_only_hint = true,
        open_world_hint = false
    ))]
    async fn realm_verify(
        &self,
        Parameters(input): Parameters<tools::VerifyInput>,
    ) -> Result<CallToolResult, ErrorData> {
        self.run("realm_verify", input, tools::verify).await
    }
}

/// A tool's result: a short text summary first (the human form, the messages, what a writing
/// tool changed, the outcome), then the report's JSON as text and as structured content.
/// An operation that could not run is a tool error carrying the command line's error text.
fn result(tool: &str, answered: Answered) -> CallToolResult {
    let answer = match answered {
        Ok(answer) => answer,
        Err(failure) => return error_result(&failure),
    };
    let mut summary = String::new();
    for line in answer.human.lines() {
        summary.push_str(&crate::error::one_line(line));
        summary.push('\n');
    }
    for message in &answer.messages {
        summary.push_str(&crate::error::one_line(message));
        summary.push('\n');
    }
    if let Some(changed) = tools::changed(tool, &answer.report) {
        summary.push_str(&changed);
        summary.push('\n');
    }
    summary.push_str(match answer.outcome {
        Outcome::Clean => "Outcome: clean",
        Outcome::Findings => "Outcome: findings (the command exits 1)",
    });
    let json = serde_json::to_string_pretty(&answer.report).unwrap_or_default();
    let mut result =
        CallToolResult::success(vec![ContentBlock::text(summary), ContentBlock::text(json)]);
    result.structured_content = Some(answer.report);
    result
}

fn error_result(failure: &Failure) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(failure.text())])
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for RealmServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("git-realm", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "git-realm keeps versioned contracts between repositories in a shared git \
             repository (the realm). This repository is one domain: it exports values other \
             domains depend on and imports theirs. Before changing code that produces an export \
             (S3 paths, URLs, event names), call realm_check or realm_status to see the drift \
             and who consumes it; realm_sync with its default dry run shows what publishing \
             would do. realm_fetch brings the realm's latest state. realm_sync with dry_run \
             false, realm_export and realm_import push to the realm, which other teams read: \
             ask the user first. Resources hold this domain's exports and imports and the \
             contracts it imports.",
        )
    }

    fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<ListResourcesResult, ErrorData>> + Send + '_ {
        let cwd = Arc::clone(&self.cwd);
        async move {
            // Clients list resources as they connect: a repository that has not joined or
            // fetched a realm has none, and says why on stderr; the tools say it to the user.
            let entries = match blocking(move || resources::entries(&cwd)).await {
                Ok(entries) => entries,
                Err(e) => {
                    eprintln!(
                        "git-realm mcp: no resources: {}",
                        e.message.replace('\n', "; ")
                    );
                    Vec::new()
                }
            };
            Ok(ListResourcesResult {
                resources: entries
                    .into_iter()
                    .map(|e| {
                        Resource::new(e.uri, e.name)
                            .with_description(e.description)
                            .with_mime_type("application/json")
                    })
                    .collect(),
                ..Default::default()
            })
        }
    }

    fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<ReadResourceResponse, ErrorData>> + Send + '_ {
        let cwd = Arc::clone(&self.cwd);
        async move {
            let uri = request.uri;
            let entry = {
                let uri = uri.clone();
                blocking(move || resources::read(&cwd, &uri)).await?
            };
            let Some(entry) = entry else {
                return Err(ErrorData::resource_not_found(
                    format!(
                        "error: no resource `{uri}` in this domain\nhint: list the resources for their URIs, or run 'git realm fetch' for the realm's latest state"
                    ),
                    None,
                ));
            };
            let text = serde_json::to_string_pretty(&entry.content).unwrap_or_default();
            Ok(ReadResourceResult::new(vec![
                ResourceContents::text(text, uri).with_mime_type("application/json"),
            ])
            .into())
        }
    }
}

/// Run `f` off the protocol's thread; its error becomes a protocol error with the command
/// line's error text (and hint) as message.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T, ErrorData> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => {
            let mut message = format!("error: {}", crate::error::one_line(&format!("{err:#}")));
            if let Some(hint) = crate::error::hint_of(&err) {
                message.push_str(&format!("\nhint: {}", crate::error::one_line(hint)));
            }
            Err(ErrorData::invalid_params(message, None))
        }
        Err(e) => Err(ErrorData::internal_error(e.to_string(), None)),
    }
}
