//! The container files, read as Docker and Compose read them, so that CI holds them to what
//! docs/operations.md promises without running Docker: the build uses the locked dependencies
//! on a Rust no older than `rust-version`, the runtime stage holds only the binary and the
//! definitions and runs as a numeric non-root user with a health check on `/readyz` (whose probe
//! is run here against a small server), and compose.yaml runs two instances of `onestop serve`
//! that share PostgreSQL, one sandbox and their secrets, behind one proxy.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

fn read(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One Dockerfile instruction: its keyword (upper case) and the rest of its logical line.
#[derive(Debug, Clone)]
struct Instruction {
    keyword: String,
    args: String,
}

/// The Dockerfile's instructions, comments and blank lines left out, a line ending in `\`
/// joined with the next (comment lines inside such a line are skipped, as Docker does).
fn instructions(text: &str) -> Vec<Instruction> {
    let mut found = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                pending.push_str(part);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                let (keyword, args) = pending
                    .split_once(char::is_whitespace)
                    .unwrap_or((&pending, ""));
                found.push(Instruction {
                    keyword: keyword.to_uppercase(),
                    args: args.trim().to_owned(),
                });
                pending.clear();
            }
        }
    }
    assert!(
        pending.is_empty(),
        "the Dockerfile ends inside a continued line"
    );
    found
}

/// The stages: each starts at a `FROM`.
fn stages() -> Vec<Vec<Instruction>> {
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    for instruction in instructions(&read("Dockerfile")) {
        if instruction.keyword == "FROM" {
            stages.push(Vec::new());
        }
        let stage = stages.last_mut().expect("the Dockerfile starts with FROM");
        stage.push(instruction);
    }
    assert!(stages.len() >= 2, "a multi-stage build");
    stages
}

fn builder() -> Vec<Instruction> {
    stages().remove(0)
}

fn runtime() -> Vec<Instruction> {
    stages().pop().expect("a last stage")
}

fn all<'a>(stage: &'a [Instruction], keyword: &str) -> Vec<&'a str> {
    (stage.iter())
        .filter(|i| i.keyword == keyword)
        .map(|i| i.args.as_str())
        .collect()
}

fn last<'a>(stage: &'a [Instruction], keyword: &str) -> &'a str {
    (all(stage, keyword).pop()).unwrap_or_else(|| panic!("the stage has no {keyword}"))
}

/// A version's numbers: `1.95` → [1, 95].
fn version(text: &str) -> Vec<u32> {
    (text.split('.'))
        .map(|n| {
            n.parse()
                .unwrap_or_else(|_| panic!("{text} is not a version"))
        })
        .collect()
}

#[test]
fn the_builder_compiles_onestop_in_release_with_the_locked_dependencies() {
    let builder = builder();
    let builds: Vec<&str> = (all(&builder, "RUN").into_iter())
        .flat_map(|run| run.split("&&"))
        .map(str::trim)
        .filter(|command| command.starts_with("cargo build"))
        .collect();
    assert!(!builds.is_empty(), "the builder runs cargo build");
    for build in &builds {
        assert!(build.contains("--locked"), "{build}: without --locked");
        assert!(build.contains("--release"), "{build}: not a release build");
    }
    let last = builds.last().expect("a build");
    assert!(
        last.contains("--bin onestop"),
        "the last build makes the server: {last}"
    );
}

/// Every file under `dir` (recursively) with its path from the repository's root.
fn files_under(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn the_builder_copies_every_file_the_source_embeds() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let copied: Vec<String> = all(&builder(), "COPY")
        .iter()
        .filter_map(|args| args.split_whitespace().next().map(str::to_owned))
        .collect();
    let mut sources = Vec::new();
    files_under(&root.join("src"), &mut sources);
    for source in sources
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
    {
        let text = std::fs::read_to_string(source).expect("a source file");
        for macro_name in ["include_str!(\"", "include_bytes!(\""] {
            for (at, _) in text.match_indices(macro_name) {
                let rest = &text[at + macro_name.len()..];
                let relative = rest.split('"').next().expect("a path");
                let embedded = source.parent().expect("a folder").join(relative);
                let embedded = embedded.canonicalize().expect("the embedded file exists");
                let from_root = embedded.strip_prefix(&root).expect("inside the repository");
                let from_root = from_root.to_string_lossy().into_owned();
                let covered = copied
                    .iter()
                    .any(|c| from_root == *c || from_root.starts_with(&format!("{c}/")));
                assert!(
                    covered,
                    "{} embeds {from_root}, which the builder does not copy",
                    source.display()
                );
            }
        }
    }
}

#[test]
fn the_builder_rust_is_not_older_than_the_rust_version_of_cargo_toml() {
    let cargo = read("Cargo.toml");
    let wanted = (cargo.lines())
        .find_map(|line| line.strip_prefix("rust-version"))
        .and_then(|rest| rest.trim().strip_prefix('='))
        .map(|value| value.trim().trim_matches('"'))
        .expect("Cargo.toml has a rust-version");
    let from = builder()[0].args.clone();
    let image = from.split_whitespace().next().expect("FROM names an image");
    let tag = image
        .strip_prefix("rust:")
        .expect("the builder is the official Rust image");
    let rust = tag.split('-').next().expect("a tag");
    assert!(
        version(rust) >= version(wanted),
        "the builder's Rust {rust} is older than rust-version {wanted}"
    );
}

#[test]
fn the_builder_and_the_runtime_are_the_same_debian_release() {
    let builder = builder()[0].args.clone();
    let runtime = runtime()[0].args.clone();
    assert!(builder.contains("-bookworm"), "builder: {builder}");
    assert!(runtime.starts_with("debian:bookworm"), "runtime: {runtime}");
}

#[test]
fn the_runtime_stage_runs_as_a_non_root_numeric_user() {
    let runtime = runtime();
    let user = last(&runtime, "USER");
    let (uid, gid) = user.split_once(':').unwrap_or((user, "0"));
    let uid: u32 = uid
        .parse()
        .unwrap_or_else(|_| panic!("USER {user}: not numeric"));
    assert!(uid >= 1000, "USER {user}: a system or root uid");
    assert!(
        gid.parse::<u32>().is_ok(),
        "USER {user}: the group is not numeric"
    );
    let user_at = runtime.iter().rposition(|i| i.keyword == "USER");
    let run_after = runtime.iter().rposition(|i| i.keyword == "RUN") > user_at;
    assert!(
        !run_after,
        "RUN after USER: the image would need root at build time only"
    );
}

/// The folders `serve` reads from disk under definitions.root; everything else it needs is
/// embedded in the binary (templates, assets, fonts, texts, migrations).
const DEFINITIONS: [&str; 4] = ["bundles", "services", "forms", "receipts"];

#[test]
fn the_runtime_stage_copies_only_the_binary_and_the_definitions() {
    let runtime = runtime();
    assert!(
        all(&runtime, "ADD").is_empty(),
        "ADD fetches or unpacks; COPY only"
    );
    let mut copied = Vec::new();
    for copy in all(&runtime, "COPY") {
        let words: Vec<&str> = copy.split_whitespace().collect();
        let (flags, paths): (Vec<&str>, Vec<&str>) =
            words.iter().partition(|w| w.starts_with("--"));
        let (_, sources) = paths.split_last().expect("COPY names a destination");
        if flags.iter().any(|f| f.starts_with("--from=")) {
            assert_eq!(
                sources,
                ["/usr/local/bin/onestop"],
                "from the builder: {copy}"
            );
        } else {
            copied.extend(sources.iter().map(|s| s.trim_end_matches('/').to_owned()));
        }
    }
    copied.sort();
    let mut wanted = DEFINITIONS.map(str::to_owned).to_vec();
    wanted.sort();
    assert_eq!(copied, wanted, "the runtime's files from the build context");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for folder in DEFINITIONS {
        assert!(
            root.join(folder).is_dir(),
            "{folder}/ is not in the repository"
        );
    }
}

#[test]
fn the_runtime_stage_serves_on_every_interface_of_the_exposed_port() {
    let runtime = runtime();
    assert_eq!(
        last(&runtime, "ENTRYPOINT"),
        r#"["/usr/local/bin/onestop"]"#
    );
    assert_eq!(last(&runtime, "CMD"), r#"["serve"]"#);
    let bind = (all(&runtime, "ENV").into_iter())
        .flat_map(str::split_whitespace)
        .find_map(|pair| pair.strip_prefix("ONESTOP__SERVER__BIND="))
        .expect("the runtime sets ONESTOP__SERVER__BIND");
    let port = bind
        .strip_prefix("0.0.0.0:")
        .expect("bound to every interface");
    assert_eq!(last(&runtime, "EXPOSE"), port);
}

/// The HEALTHCHECK's command, as the exec form's JSON array.
fn health_check() -> Vec<String> {
    let runtime = runtime();
    let check = last(&runtime, "HEALTHCHECK");
    let (_, command) = check.split_once("CMD ").expect("HEALTHCHECK … CMD […]");
    serde_json::from_str(command).expect("the exec form: a JSON array")
}

#[test]
fn the_runtime_stage_checks_its_health_on_readyz() {
    let command = health_check();
    assert_eq!(command[0], "bash", "the runtime image has bash, not curl");
    assert!(command.iter().any(|part| part.contains("GET /readyz ")));
}

/// A server on a free port answering every request with `status`; the port.
fn answering(status: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("an address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
            let _ = (&stream).write_all(answer.as_bytes());
        }
    });
    port
}

/// Run the health check's command as Docker would in the container, the server bound to `port`.
fn probe(port: u16) -> bool {
    let command = health_check();
    Command::new(&command[0])
        .args(&command[1..])
        .env("ONESTOP__SERVER__BIND", format!("0.0.0.0:{port}"))
        .status()
        .expect("bash runs")
        .success()
}

#[test]
fn the_health_check_passes_when_the_server_answers_200_and_fails_otherwise() {
    assert!(
        probe(answering("200 OK")),
        "a ready server counts as healthy"
    );
    assert!(
        !probe(answering("503 Service Unavailable")),
        "a 503 counts as unhealthy"
    );
    let closed = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = closed.local_addr().expect("an address").port();
    drop(closed);
    assert!(!probe(port), "nothing listening counts as unhealthy");
}

fn compose() -> Value {
    serde_saphyr::from_str(&read("compose.yaml")).expect("compose.yaml is YAML")
}

fn services(compose: &Value) -> &serde_json::Map<String, Value> {
    compose["services"]
        .as_object()
        .expect("compose.yaml has services")
}

/// The services that run this repository's image with its default command: `onestop serve`.
fn instances(compose: &Value) -> Vec<(&String, &Value)> {
    (services(compose).iter())
        .filter(|(_, s)| s["build"] == "." && s.get("command").is_none())
        .filter(|(_, s)| s.get("entrypoint").is_none())
        .collect()
}

fn env<'a>(service: &'a Value, name: &str) -> &'a str {
    service["environment"][name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not set"))
}

#[test]
fn compose_runs_two_onestop_instances_on_one_postgresql() {
    let compose = compose();
    let instances = instances(&compose);
    assert_eq!(instances.len(), 2, "two instances of onestop serve");
    let (database, postgres) = (services(&compose).iter())
        .find(|(_, s)| {
            s["image"]
                .as_str()
                .is_some_and(|i| i.starts_with("postgres:"))
        })
        .expect("a PostgreSQL service");
    assert!(
        postgres["healthcheck"]["test"].is_array(),
        "PostgreSQL has a health check"
    );
    assert!(
        postgres["volumes"].is_array(),
        "PostgreSQL keeps its data in a volume"
    );
    for (name, instance) in instances {
        let url = env(instance, "ONESTOP__DATABASE__URL");
        assert!(url.starts_with("postgres://"), "{name}: {url}");
        assert!(url.contains(&format!("@{database}:")), "{name}: {url}");
        let needs = &instance["depends_on"][database]["condition"];
        assert_eq!(needs, "service_healthy", "{name} waits for the database");
    }
}

#[test]
fn compose_instances_share_their_secrets_registries_and_address_but_not_their_names() {
    let compose = compose();
    let instances = instances(&compose);
    let shared = [
        "ONESTOP__SERVER__RECEIPT_SECRET",
        "ONESTOP__REGISTRIES__CALLBACK_SECRET",
        "ONESTOP__REGISTRIES__URL",
        "ONESTOP__SERVER__PUBLIC_URL",
        "ONESTOP__DATABASE__MIGRATE_ON_START",
    ];
    for name in shared {
        assert_eq!(
            env(instances[0].1, name),
            env(instances[1].1, name),
            "{name}"
        );
    }
    let named = "ONESTOP__DISPATCHER__INSTANCE";
    assert_ne!(env(instances[0].1, named), env(instances[1].1, named));
    let registries = env(instances[0].1, "ONESTOP__REGISTRIES__URL");
    let host = registries.trim_start_matches("http://").split(':').next();
    let sandbox = &services(&compose)[host.expect("a host")];
    assert!(sandbox["command"][0] == "sandbox", "one shared sandbox");
    let secret = "ONESTOP__REGISTRIES__CALLBACK_SECRET";
    assert_eq!(env(sandbox, secret), env(instances[0].1, secret));
}

#[test]
fn compose_publishes_one_port_whose_proxy_reaches_both_instances() {
    let compose = compose();
    let published: Vec<(&String, &Value)> = (services(&compose).iter())
        .filter(|(_, s)| {
            s["ports"].as_array().is_some_and(|p| {
                (p.iter()).any(|p| !p.as_str().unwrap_or("").starts_with("127.0.0.1:"))
            })
        })
        .collect();
    assert_eq!(published.len(), 1, "one port for everyone: {published:?}");
    let (_, proxy) = published[0];
    let config = (proxy["volumes"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .find_map(|v| v.strip_suffix(":/etc/nginx/conf.d/default.conf:ro"))
        .expect("the proxy's configuration is the repository's");
    let nginx = read(config.trim_start_matches("./"));
    for (name, _) in instances(&compose) {
        assert!(
            nginx.contains(&format!("server {name}:8080")),
            "{name} not upstream"
        );
        assert_eq!(proxy["depends_on"][name]["condition"], "service_healthy");
    }
}

#[test]
fn the_build_context_leaves_out_local_state() {
    let ignored: Vec<String> = (read(".dockerignore").lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    for needed in [".git", "target", "**/node_modules", "*.db"] {
        assert!(
            ignored.iter().any(|l| l == needed),
            "{needed} is sent to the builder"
        );
    }
}
