//! `git realm mcp`: an MCP client speaking JSON-RPC over the child's pipes drives the real
//! server in the RFC's aperture/fungal world and compares each tool's JSON with the command's
//! `--json`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use serde_json::{Value, json};

use crate::support::{TestEnv, json};

/// The RFC's world: aperture (the fixture's Python) exports the S3 paths it detects;
/// fungal-image-analysis imports them with its CDK stack as binding. aperture has then
/// committed code that writes experiment metrics, not yet synced.
struct World {
    env: TestEnv,
    realm: PathBuf,
    aperture: PathBuf,
    fungal: PathBuf,
}

fn world() -> World {
    let env = TestEnv::new();
    let realm = env.path("realm-letemcook");
    env.init(&realm, false);
    env.realm_ok(&realm, &["init", "--name", "letemcook"]);
    let aperture = env.aperture_repo();
    env.realm_ok(
        &aperture,
        &["join", "../realm-letemcook", "--as", "aperture"],
    );
    let fungal = env.code_repo(
        "fungal-image-analysis",
        &[(
            "cdk/stack.py",
            "resources = ['arn:aws:s3:::aperture-data/jobs/*/masks/*']\n",
        )],
    );
    env.realm_ok(&fungal, &["join", "../realm-letemcook", "--no-detect"]);
    env.realm_ok(
        &fungal,
        &[
            "import",
            "--contract",
            "required-s3-permissions",
            "--from",
            "aperture",
            "--binding",
            "cdk/stack.py",
        ],
    );
    env.realm_ok(&aperture, &["fetch"]);
    let exporter = aperture.join("models/training/metrics_exporter.py");
    let mut code = std::fs::read_to_string(&exporter).unwrap();
    code.push_str("    client().upload_file(path, S3_BUCKET, f\"training-metrics/experiments/{experiment}/{os.path.basename(path)}\")\n");
    std::fs::write(&exporter, code).unwrap();
    env.commit_all(&aperture, "Track experiment metrics");
    World {
        env,
        realm,
        aperture,
        fungal,
    }
}

/// The server, started as an assistant starts it, and the client side of its pipes.
struct Mcp {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Mcp {
    /// `git realm mcp` in `dir`, initialized.
    fn start(env: &TestEnv, dir: &Path) -> Mcp {
        Mcp::start_with(env, dir, &["mcp"])
    }

    /// `git realm ARGS` in `dir`, initialized.
    fn start_with(env: &TestEnv, dir: &Path, args: &[&str]) -> Mcp {
        let stderr = std::fs::File::create(env.path("mcp-stderr.log")).unwrap();
        let mut child = env
            .realm_std(dir, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start git realm mcp");
        let mut mcp = Mcp {
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            child,
            next_id: 1,
        };
        let init = mcp.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "testsuite", "version": "1"}
            }),
        );
        let init = init["result"].clone();
        assert_eq!(init["protocolVersion"], "2025-06-18", "{init}");
        assert_eq!(init["serverInfo"]["name"], "git-realm", "{init}");
        assert!(init["capabilities"]["tools"].is_object(), "{init}");
        assert!(init["capabilities"]["resources"].is_object(), "{init}");
        mcp.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        mcp
    }

    fn send(&mut self, message: Value) {
        let stdin = self.stdin.as_mut().expect("open");
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    /// One line of stdout: every line the server writes must be a JSON-RPC message.
    fn receive(&mut self) -> Option<Value> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line).unwrap() == 0 {
            return None;
        }
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not a JSON-RPC message on stdout ({e}): {line:?}"));
        assert_eq!(message["jsonrpc"], "2.0", "{message}");
        Some(message)
    }

    /// The response to `method` (its `result` or `error`), skipping notifications.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.receive().expect("the server answers before closing");
            if message.get("id") == Some(&json!(id)) {
                return message;
            }
            assert!(
                message.get("id").is_none(),
                "an answer to nothing: {message}"
            );
        }
    }

    /// The result of calling `tool`.
    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let answer = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        assert!(answer.get("error").is_none(), "{tool}: {answer}");
        answer["result"].clone()
    }

    /// The tool's JSON, checked to be the same as its text copy, and its summary.
    fn call_ok(&mut self, tool: &str, arguments: Value) -> (Value, String) {
        let result = self.call(tool, arguments);
        assert_eq!(result["isError"], false, "{tool}: {result}");
        let content = result["content"].as_array().expect("content");
        assert_eq!(content.len(), 2, "{result}");
        let summary = content[0]["text"].as_str().expect("summary").to_owned();
        let text: Value = serde_json::from_str(content[1]["text"].as_str().unwrap()).unwrap();
        assert_eq!(text, result["structuredContent"], "{tool}");
        (result["structuredContent"].clone(), summary)
    }

    /// The error text of a call that fails.
    fn call_err(&mut self, tool: &str, arguments: Value) -> String {
        let result = self.call(tool, arguments);
        assert_eq!(result["isError"], true, "{tool}: {result}");
        assert!(result.get("structuredContent").is_none(), "{result}");
        result["content"][0]["text"].as_str().unwrap().to_owned()
    }

    /// Close the client's side: the server exits 0 having written nothing more but
    /// protocol messages.
    fn close(mut self) {
        drop(self.stdin.take());
        while self.receive().is_some() {}
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

/// `git realm ARGS --json` in `dir`: exit `code`, its JSON.
fn cli_json(env: &TestEnv, dir: &Path, args: &[&str], code: i32) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let out = env.realm_std(dir, &args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&String::from_utf8(out.stdout).unwrap())
}

/// What `git realm ARGS` writes on stderr, failing with exit status 2.
fn cli_error(env: &TestEnv, dir: &Path, args: &[&str]) -> String {
    let out = env.realm_std(dir, args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    String::from_utf8(out.stderr).unwrap().trim_end().to_owned()
}

#[test]
fn tools_are_listed_with_their_schemas_and_annotations() {
    let World { env, .. } = world();
    // Started elsewhere, as an editor may, with -C naming the repository.
    let mut mcp = Mcp::start_with(&env, env.root(), &["-C", "aperture", "mcp"]);
    let tools = mcp.request("tools/list", json!({}))["result"]["tools"].clone();
    let tools = tools.as_array().expect("tools");
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "realm_check",
            "realm_export",
            "realm_fetch",
            "realm_graph",
            "realm_import",
            "realm_status",
            "realm_sync",
            "realm_verify"
        ]
    );
    for tool in tools {
        let name = tool["name"].as_str().unwrap();
        let annotations = &tool["annotations"];
        let reads = ["realm_status", "realm_check", "realm_graph", "realm_verify"].contains(&name);
        assert_eq!(annotations["readOnlyHint"], reads, "{tool}");
        if !reads {
            let destructive = name != "realm_fetch";
            assert_eq!(annotations["destructiveHint"], destructive, "{tool}");
        }
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert!(
            tool["description"].as_str().unwrap().contains("--json"),
            "{tool}"
        );
    }
    let sync = tools.iter().find(|t| t["name"] == "realm_sync").unwrap();
    assert_eq!(
        sync["inputSchema"]["properties"]["dry_run"]["default"], true,
        "{sync}"
    );
    let export = tools.iter().find(|t| t["name"] == "realm_export").unwrap();
    assert_eq!(
        export["inputSchema"]["required"],
        json!(["name"]),
        "{export}"
    );
    let (status, _) = mcp.call_ok("realm_status", json!({}));
    assert_eq!(status["domain"], "aperture", "{status}");
    mcp.close();
}

#[test]
fn tools_answer_with_the_commands_json() {
    let World {
        env,
        realm,
        aperture,
        fungal,
    } = world();
    let realm_before = env.git(&realm, &["rev-parse", "main"]);
    let mut mcp = Mcp::start(&env, &aperture);

    let (status, summary) = mcp.call_ok("realm_status", json!({}));
    assert_eq!(status, cli_json(&env, &aperture, &["status"], 0));
    assert!(
        summary.starts_with("aperture (domain in letemcook realm)\n")
            && summary.contains("Export 'required-s3-permissions' has local changes:")
            && summary.contains("- fungal-image-analysis (imports ^1, current)")
            && summary.ends_with("Outcome: clean"),
        "{summary}"
    );

    let (check, summary) = mcp.call_ok("realm_check", json!({}));
    assert_eq!(check, cli_json(&env, &aperture, &["check"], 1));
    assert_eq!(check["clean"], false);
    assert!(
        summary.contains("Added training-metrics/experiments/* (read, write)")
            && summary.ends_with("Outcome: findings (the command exits 1)"),
        "{summary}"
    );
    let (check, _) = mcp.call_ok("realm_check", json!({"imports": true}));
    assert_eq!(check, cli_json(&env, &aperture, &["check", "--imports"], 0));

    let (graph, _) = mcp.call_ok("realm_graph", json!({"format": "mermaid"}));
    assert_eq!(
        graph,
        cli_json(&env, &aperture, &["graph", "--format", "mermaid"], 0)
    );
    assert_eq!(
        graph["edges"][0]["from"], "fungal-image-analysis",
        "{graph}"
    );

    let (plan, summary) = mcp.call_ok("realm_sync", json!({}));
    assert_eq!(plan, cli_json(&env, &aperture, &["sync", "--dry-run"], 0));
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["published"][0]["version"], "1.1.0", "{plan}");
    assert!(
        summary.contains("Would update the realm in one commit (dry run)")
            && summary.contains("Changed: nothing (dry run; pass dry_run: false to publish)"),
        "{summary}"
    );

    let (verify, _) = mcp.call_ok("realm_verify", json!({}));
    assert_eq!(verify, cli_json(&env, &aperture, &["verify"], 0));
    assert_eq!(
        env.git(&realm, &["rev-parse", "main"]),
        realm_before,
        "reading tools and a dry run write nothing to the realm"
    );
    mcp.close();

    // The consumer's view, through its own server.
    let mut mcp = Mcp::start(&env, &fungal);
    let (status, _) = mcp.call_ok("realm_status", json!({}));
    assert_eq!(status, cli_json(&env, &fungal, &["status"], 0));
    assert_eq!(status["imports"][0]["contract"], "required-s3-permissions");
    mcp.close();
}

#[test]
fn bad_arguments_get_the_commands_errors() {
    let World { env, aperture, .. } = world();
    let mut mcp = Mcp::start(&env, &aperture);

    // What the operation refuses reads as the command line writes it.
    let error = mcp.call_err(
        "realm_export",
        json!({"name": "Not A Name", "value": {"read": ["a/*"]}}),
    );
    assert_eq!(
        error,
        cli_error(
            &env,
            &aperture,
            &[
                "export",
                "--name",
                "Not A Name",
                "--value",
                r#"{"read":["a/*"]}"#
            ]
        )
    );
    assert!(
        error.starts_with("error: ") && error.contains("\nhint: "),
        "{error}"
    );
    let error = mcp.call_err("realm_graph", json!({"at": "no-such-revision"}));
    assert_eq!(
        error,
        cli_error(&env, &aperture, &["graph", "--at", "no-such-revision"])
    );

    // Arguments that do not fit the schema, or each other.
    let error = mcp.call_err("realm_export", json!({"value": 1}));
    assert!(error.contains("missing field `name`"), "{error}");
    let error = mcp.call_err("realm_check", json!({"exports": "yes"}));
    assert!(error.contains("invalid type"), "{error}");
    let error = mcp.call_err("realm_sync", json!({"dry-run": false}));
    assert!(error.contains("unknown field `dry-run`"), "{error}");
    let error = mcp.call_err("realm_check", json!({"rev": "HEAD", "worktree": true}));
    assert!(
        error.starts_with("error: `rev` cannot be used with `worktree`\nhint: "),
        "{error}"
    );
    let error = mcp.call_err("realm_export", json!({"name": "paths"}));
    assert!(
        error.starts_with("error: give exactly one of `value`, `file` and `detect`\nhint: "),
        "{error}"
    );

    // A tool that does not exist is a protocol error.
    let answer = mcp.request(
        "tools/call",
        json!({"name": "realm_nonsense", "arguments": {}}),
    );
    assert!(answer["error"]["code"].is_i64(), "{answer}");

    // The server still answers after all that.
    mcp.call_ok("realm_status", json!({}));
    mcp.close();
}

#[test]
fn writes_through_mcp_land_one_realm_commit_each() {
    let World {
        env,
        realm,
        aperture,
        ..
    } = world();
    let before = env.git(&realm, &["rev-list", "--count", "main"]);
    let mut mcp = Mcp::start(&env, &aperture);
    let (export, summary) = mcp.call_ok(
        "realm_export",
        json!({
            "name": "api-url",
            "value": {"url": "https://aperture.example/api"},
            "description": "Where aperture's API is served"
        }),
    );
    let (sync, synced) = mcp.call_ok("realm_sync", json!({"dry_run": false, "no_notify": true}));
    mcp.close();
    assert_eq!(export["result"], "published", "{export}");
    assert_eq!(export["version"], "1.0.0", "{export}");
    let tip = env.git(&realm, &["rev-parse", "main^"]);
    assert_eq!(export["commit"], tip.as_str());
    assert_eq!(
        env.git(&realm, &["log", "-1", "--format=%s", "main^"]),
        "aperture: export api-url 1.0.0"
    );
    assert!(
        summary.contains(&format!("Changed: realm commit {} pushed", &tip[..12])),
        "{summary}"
    );

    // The sync asked to write publishes the drift as the next commit, and says so.
    let tip = env.git(&realm, &["rev-parse", "main"]);
    assert_eq!(sync["dry_run"], false, "{sync}");
    assert_eq!(sync["realm_commit"], tip.as_str(), "{sync}");
    assert_eq!(sync["published"][0]["version"], "1.1.0", "{sync}");
    assert!(
        synced.contains(&format!("Changed: realm commit {} pushed", &tip[..12])),
        "{synced}"
    );
    assert_eq!(
        env.git(&realm, &["rev-list", "--count", "main"])
            .parse::<u32>()
            .unwrap(),
        before.parse::<u32>().unwrap() + 2,
        "one realm commit for each write"
    );
    let exports = env.realm_file(&realm, "domains/aperture/exports.yaml");
    assert!(
        exports.contains("url: https://aperture.example/api"),
        "{exports}"
    );
}

#[test]
fn resources_are_the_domains_exports_imports_and_contracts() {
    let World {
        env, realm, fungal, ..
    } = world();
    let mut mcp = Mcp::start(&env, &fungal);
    let listed = mcp.request("resources/list", json!({}))["result"]["resources"].clone();
    let uris: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        uris,
        [
            "realm://letemcook/domains/fungal-image-analysis/exports",
            "realm://letemcook/domains/fungal-image-analysis/imports",
            "realm://letemcook/contracts/aperture/required-s3-permissions",
        ]
    );
    let read = |mcp: &mut Mcp, uri: &str| -> Value {
        let answer = mcp.request("resources/read", json!({"uri": uri}));
        let contents = &answer["result"]["contents"][0];
        assert_eq!(contents["uri"], uri, "{answer}");
        assert_eq!(contents["mimeType"], "application/json", "{answer}");
        serde_json::from_str(contents["text"].as_str().unwrap()).unwrap()
    };
    let contract = read(
        &mut mcp,
        "realm://letemcook/contracts/aperture/required-s3-permissions",
    );
    assert_eq!(contract["provider"], "aperture");
    assert_eq!(contract["requirement"], "^1");
    assert_eq!(contract["export"]["version"], "1.0.0");
    assert_eq!(
        contract["export"]["value"]["read"][0], "jobs/*/*/config.json",
        "{contract}"
    );
    let imports = read(
        &mut mcp,
        "realm://letemcook/domains/fungal-image-analysis/imports",
    );
    assert_eq!(
        imports["imports"][0]["binding"], "cdk/stack.py",
        "{imports}"
    );
    assert_eq!(
        imports["realm_commit"],
        env.git(&realm, &["rev-parse", "main"]).as_str()
    );
    let missing = mcp.request(
        "resources/read",
        json!({"uri": "realm://letemcook/contracts/aperture/nothing"}),
    );
    assert!(
        missing["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("error: no resource `realm://letemcook/contracts/aperture/nothing`"),
        "{missing}"
    );
    mcp.close();
}
