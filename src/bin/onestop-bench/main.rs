//! `onestop-bench`: how close onestop comes to the speed of the registries themselves.
//!
//! The bench runs the simulated registries in its own process with a fixed latency per call,
//! starts the real `onestop serve` as a child process (so its memory and CPU are its own) on a
//! fresh SQLite or PostgreSQL database, and either drives concurrent clients submitting full
//! birth applications (`load`) or parks many applications on asynchronous answers and reads the
//! server's memory (`waiting`). Completion latency comes from the server's own records: the
//! status API's `submitted_at` and the time of the application's last transition.
//!
//! It is a binary of its own so that the product does not carry a load generator: it uses the
//! `onestop` library for the definitions and the sandbox, and runs the `onestop` binary built
//! beside it as the server. A benchmark prints figures; it asserts nothing, and no test runs it.

mod args;
mod chain;
mod load;
mod machine;
mod outage;
mod registries;
mod report;
mod server;
mod settle;
mod waiting;

use anyhow::Context;
use clap::Parser;
use onestop::bundle::{Catalog, ServiceId};
use onestop::sandbox::{AnswerLog, Behaviours, SandboxOptions};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The same allocator as the server: the sandbox and the clients in this process allocate as
/// much per request as the server does, and the bench's own CPU is part of what it reports.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    onestop::cli::logging(onestop::cli::LogFormat::Text);
    let outcome = args::Cli::parse()
        .options()
        .and_then(|options| onestop::cli::runtime()?.block_on(run(options)));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The PostgreSQL server used by `--postgres` without a URL.
pub const LOCAL_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// What to measure and how.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The folder holding `bundles/`, `services/`, `forms/`.
    pub definitions: PathBuf,
    /// Concurrent clients, each with one application in flight at a time.
    pub clients: usize,
    /// How long clients submit.
    pub duration: Duration,
    /// Each registry call's latency in the sandbox.
    pub latency_ms: u64,
    /// Cap on submissions per second across all clients (none: as fast as they complete).
    pub rate: Option<f64>,
    /// How often a client asks whether its application has finished, once the critical path
    /// has passed.
    pub poll: Duration,
    /// A PostgreSQL server (its admin URL) to create a fresh database on; SQLite otherwise.
    pub postgres: Option<String>,
    /// Park this many applications on asynchronous answers and report memory instead.
    pub waiting: Option<usize>,
    /// The server's `dispatcher.concurrency`.
    pub dispatcher_concurrency: usize,
    /// The server's `registries.concurrency` (calls in flight per registry).
    pub registry_concurrency: usize,
    /// A registry to take down during an open-loop run.
    pub outage: Option<outage::Outage>,
    /// The protocol every registry is reached by.
    pub protocol: onestop::registry::Protocol,
}

/// What every mode shares: the definitions, the example application, the sandbox.
struct Bench {
    options: BenchOptions,
    example: Value,
    sandbox: String,
    http: reqwest::Client,
    /// Stages of the example's plan; the critical path is `stages × latency`.
    stages: usize,
    /// Registry calls one example application makes.
    calls: u64,
    /// The example's calls and their dependencies, for each application's own critical path.
    chains: chain::Chains,
    /// Every call the sandbox answered and the time it took there.
    answers: AnswerLog,
    /// Births submitted so far: each is another child (see `Bench::birth`).
    births: std::sync::atomic::AtomicU64,
    /// The services of the registry `--outage` takes down (none without it).
    down: BTreeSet<String>,
}

/// The sandbox's counts, summed over its services, and its effects by service.
#[derive(Debug, Clone, Default)]
struct SandboxStats {
    calls: u64,
    answered: u64,
    /// Time spent answering the calls answered, from arrival to answer.
    answer_ms: f64,
    effects: BTreeMap<String, u64>,
}

impl SandboxStats {
    /// The effects made since `before`, by service.
    fn effects_since(&self, before: &Self) -> BTreeMap<String, u64> {
        let made = |service: &str, n: u64| {
            n.saturating_sub(before.effects.get(service).copied().unwrap_or(0))
        };
        (self.effects.iter())
            .map(|(service, n)| (service.clone(), made(service, *n)))
            .collect()
    }

    /// The mean time a call answered since `before` took in the sandbox.
    fn mean_answer_since(&self, before: &Self) -> Option<Duration> {
        let answered = self
            .answered
            .checked_sub(before.answered)
            .filter(|n| *n > 0)?;
        let ms = (self.answer_ms - before.answer_ms) / answered as f64;
        Duration::try_from_secs_f64(ms / 1000.0).ok()
    }
}

/// Run the benchmark the options describe and print its figures.
async fn run(options: BenchOptions) -> anyhow::Result<()> {
    let catalog = Arc::new(onestop::bundle::compile(&options.definitions)?);
    let example = one_child_birth(read_example(&options)?)?;
    let (stages, calls, chains) = critical_stages(&catalog, &example)?;
    anyhow::ensure!(
        calls == CALLS_PER_BIRTH && chains.per_service().values().all(|n| *n == 1),
        "a bench birth makes {calls} registry calls ({:?}), not one of each of its \
         {CALLS_PER_BIRTH} services",
        chains.per_service()
    );
    let down = match &options.outage {
        Some(o) => outage::down_services(&catalog, &chains, &o.registry)?,
        None => BTreeSet::new(),
    };
    let behaviours = sandbox_behaviours(&options)?;
    let answers = AnswerLog::default();
    let bundles: Vec<String> = catalog.bundles.keys().map(|b| b.to_string()).collect();
    let sandbox = spawn_sandbox(catalog, behaviours, answers.clone())?;
    let database = server::Database::fresh(options.postgres.as_deref()).await?;
    // Signed in as a machine client (a hospital information system would be).
    let token = server::machine_token(&options, &database.url, &bundles)?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(options.clients.max(1) * 2)
        // Shorter than the server's keep-alive (actix's 5 s), so that the read-back after a
        // paced run does not reuse a connection the server is closing ("connection closed
        // before message completed").
        .pool_idle_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(60))
        .build()?;
    let ctx = Bench {
        options,
        example,
        sandbox,
        http,
        stages,
        calls,
        chains,
        answers,
        births: std::sync::atomic::AtomicU64::new(0),
        down,
    };
    let outcome = run_against(Arc::new(ctx), &database.url).await;
    database.remove().await;
    outcome
}

async fn run_against(ctx: Arc<Bench>, database_url: &str) -> anyhow::Result<()> {
    let server = server::Server::start(&ctx.options, database_url, &ctx.sandbox).await?;
    report::heading(&ctx, database_url);
    match ctx.options.waiting {
        Some(count) => waiting::run(&ctx, &server, count).await,
        None => load::run(ctx.clone(), &server).await,
    }
}

/// The optional services a bench birth chooses: every one, the child's residence registration
/// included (optional since the birth's version 3), so that a birth is still the ten services
/// of earlier rounds for one child and their figures compare.
const CHOSEN: [&str; 5] = [
    "community.residence-registration",
    "social.birth-assistance",
    "social.baby-box",
    "social.large-family",
    "health.ehealth-entry",
];

/// Registry calls of one bench birth: its five mandatory services and the five chosen, once.
const CALLS_PER_BIRTH: u64 = 10;

/// The example birth as the bench submits it: one child (the example's first), every optional
/// service chosen, and the parents registered at one address, so that nobody is asked to
/// co-sign (the example's parents are married with one surname): the bench measures the
/// registries and onestop, not a person's wait.
fn one_child_birth(mut example: Value) -> anyhow::Result<Value> {
    let data = example
        .get_mut("data")
        .context("the example birth has no data")?;
    let child = (data.get("children").and_then(|c| c.get(0)).cloned())
        .context("the example birth has no child (data.children)")?;
    data["children"] = json!([child]);
    data["parents_address"] = json!({ "same": true });
    example["services"] = json!(CHOSEN);
    Ok(example)
}

fn read_example(options: &BenchOptions) -> anyhow::Result<Value> {
    let path = options.definitions.join("bundles/examples/birth.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("Failed to read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// The number of dependency stages the example birth application runs through: each stage
/// waits for the one before, so with a fixed latency per call the registries alone need
/// `stages × latency`. With it, the number of registry calls the application makes, and the
/// calls with their dependencies.
fn critical_stages(
    catalog: &Catalog,
    example: &Value,
) -> anyhow::Result<(usize, u64, chain::Chains)> {
    let bundle = catalog.bundle("birth").context("no birth bundle")?;
    let chosen: Option<Vec<String>> = example
        .get("services")
        .and_then(|s| serde_json::from_value(s.clone()).ok());
    let selection: Vec<ServiceId> = bundle.select(chosen.as_deref())?;
    let data = example.get("data").cloned().unwrap_or_default();
    let plan = onestop::fanout::plan(bundle, &selection, &data);
    let calls = plan.stages.iter().flatten().map(|(_, n)| *n as u64).sum();
    let chains = chain::Chains::new(&bundle.applicable(&data, &selection).calls());
    Ok((plan.stages.len(), calls, chains))
}

/// A fixed latency on every call; in the waiting mode every call is also answered 202 and
/// its callback held back for an hour.
fn sandbox_behaviours(options: &BenchOptions) -> anyhow::Result<Behaviours> {
    let mut default = json!({ "latency": { "fixed_ms": options.latency_ms } });
    if options.waiting.is_some() {
        default["asynchronous"] = json!({ "mode": "callback", "delay_ms": 3_600_000 });
    }
    Ok(serde_json::from_value(json!({ "default": default }))?)
}

fn spawn_sandbox(
    catalog: Arc<Catalog>,
    behaviours: Behaviours,
    answers: AnswerLog,
) -> anyhow::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", listener.local_addr()?);
    let options = SandboxOptions {
        behaviours,
        answer_log: Some(answers),
        ..SandboxOptions::default()
    };
    let server = onestop::sandbox::serve(listener, catalog, options)?;
    tokio::spawn(server);
    Ok(url)
}

impl Bench {
    /// The registries' own time along the critical path.
    fn critical_path(&self) -> Duration {
        Duration::from_millis(self.options.latency_ms * self.stages as u64)
    }

    /// What the sandbox has counted so far, over all services.
    async fn sandbox_stats(&self) -> anyhow::Result<SandboxStats> {
        let stats: Value = self
            .http
            .get(format!("{}/_sandbox/stats", self.sandbox))
            .send()
            .await?
            .json()
            .await?;
        let services = stats.as_object().context("sandbox stats")?;
        let sum =
            |field: &str| -> f64 { services.values().filter_map(|s| s[field].as_f64()).sum() };
        let effects = (services.iter())
            .map(|(service, s)| (service.clone(), s["effects"].as_u64().unwrap_or(0)))
            .collect();
        Ok(SandboxStats {
            calls: sum("calls") as u64,
            answered: sum("answered") as u64,
            answer_ms: sum("answer_ms"),
            effects,
        })
    }

    /// The example as another child's birth (`children` of one child): its own medical
    /// conclusion number and surname, so that no two are one birth submitted twice (which
    /// onestop flags, 409).
    fn birth(&self) -> Value {
        const LETTERS: [char; 16] = [
            'а', 'б', 'в', 'г', 'д', 'е', 'ж', 'з', 'к', 'л', 'м', 'н', 'о', 'п', 'р', 'с',
        ];
        let n = (self.births).fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut birth = self.example.clone();
        let child = &mut birth["data"]["children"][0];
        child["medical_conclusion"]["number"] = json!(format!("{n}/2026"));
        let suffix: String = (0..5)
            .map(|i| LETTERS[((n >> (4 * i)) & 15) as usize])
            .collect();
        let surname = child["surname"].as_str().unwrap_or("Коваленко");
        child["surname"] = json!(format!("{surname}{suffix}"));
        birth
    }

    /// Submit the example once (as another child); the new application's id.
    async fn submit(&self, server: &str) -> anyhow::Result<String> {
        let response = self
            .http
            .post(format!("{server}/api/v1/bundles/birth/applications"))
            .json(&self.birth())
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        match body["id"].as_str() {
            Some(id) if status.as_u16() == 201 => Ok(id.to_owned()),
            _ => anyhow::bail!("submission answered {status}: {body}"),
        }
    }
}
