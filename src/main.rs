//! The `onestop` command: set up logging, load settings, run the chosen subcommand.

use anyhow::Context;
use clap::{Parser, Subcommand};
use onestop::settings::Settings;
use onestop::startup::Application;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc instead of glibc's allocator: a request allocates and frees many small strings
/// and JSON values across threads, and glibc's arenas spent about a fifth of the server's time
/// at full load in `malloc`, `free` and their consolidation (`docs/performance-log.md`, round 3).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "onestop",
    version,
    about = "One application for a life event, several registries, one receipt"
)]
struct Cli {
    /// Settings file (default: ./onestop.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Folder holding bundles/, services/ and forms/ (setting definitions.root).
    #[arg(long, global = true)]
    definitions: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web pages and the API, and fan out applications to the registries.
    Serve {
        /// Address to listen on (setting server.bind).
        #[arg(long)]
        bind: Option<String>,
        /// sqlite://file.db or postgres://… (setting database.url).
        #[arg(long)]
        database_url: Option<String>,
        /// Send registry calls to this URL instead of the in-process sandbox (setting registries.url).
        #[arg(long)]
        registries: Option<String>,
    },
    /// Check every definition file; exit non-zero listing every problem.
    Check {
        /// Treat warnings (unused form, missing translation) as errors.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Serve the simulated registries alone.
    Sandbox {
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: String,
        /// JSON file of misbehaviours (latency, failures, 429, 202…) by service.
        #[arg(long)]
        behaviour: Option<PathBuf>,
    },
    /// Draw a bundle's dependency graph.
    Graph {
        bundle: String,
        #[arg(long, value_enum, default_value = "mermaid")]
        format: onestop::bundle::Notation,
    },
    /// Say which services an application would run, in which stages, and why others would not.
    Explain {
        bundle: String,
        /// A submission: `{"data": {...}, "services": [...]}`.
        application: PathBuf,
    },
    /// Measure onestop against its registries: throughput, completion latency over the critical
    /// path, memory and CPU of a real `serve` (see README "Performance").
    Bench(BenchArgs),
    /// Print the combined form (JSON Schema) of a bundle.
    Form {
        bundle: String,
        /// Comma-separated optional services to include (default: all).
        #[arg(long)]
        services: Option<String>,
    },
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Concurrent clients, each with one application in flight.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Seconds of submitting.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Latency of every simulated registry call, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Cap on submissions per second across all clients (default: as fast as they finish).
    #[arg(long)]
    rate: Option<f64>,
    /// How often a client asks about its application once the critical path has passed (ms).
    #[arg(long, default_value_t = 10)]
    poll_ms: u64,
    /// Run on a fresh database on this PostgreSQL server (default URL: the local one) instead
    /// of SQLite; the database is dropped afterwards.
    #[arg(long, num_args = 0..=1, default_missing_value = onestop::bench::LOCAL_POSTGRES)]
    postgres: Option<String>,
    /// Park this many applications on asynchronous answers and report the server's memory.
    #[arg(long, num_args = 0..=1, default_missing_value = "10000")]
    waiting: Option<usize>,
    /// The server's dispatcher.concurrency.
    #[arg(long, default_value_t = 256)]
    dispatcher_concurrency: usize,
    /// The server's registries.concurrency (calls in flight per registry).
    #[arg(long, default_value_t = 128)]
    registry_concurrency: usize,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load(cli.config.as_deref()).context("Failed to load settings")?;
    if let Some(root) = cli.definitions {
        settings.definitions.root = root;
    }
    match cli.command {
        Command::Check { deny_warnings } => Ok(check(&settings, deny_warnings)),
        Command::Form { bundle, services } => form(&settings, &bundle, services.as_deref()),
        Command::Graph { bundle, format } => {
            let catalog = onestop::bundle::compile(&settings.definitions.root)?;
            let found = catalog
                .bundle(&bundle)
                .with_context(|| format!("unknown bundle \"{bundle}\""))?;
            print!("{}", onestop::bundle::graph(found, &catalog, format));
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain {
            bundle,
            application,
        } => explain(&settings, &bundle, &application),
        Command::Sandbox { bind, behaviour } => runtime()?
            .block_on(sandbox(&settings, &bind, behaviour.as_deref()))
            .map(|()| ExitCode::SUCCESS),
        Command::Bench(args) => runtime()?
            .block_on(onestop::bench::run(bench_options(&settings, args)))
            .map(|()| ExitCode::SUCCESS),
        Command::Serve {
            bind,
            database_url,
            registries,
        } => {
            settings.server.bind = bind.unwrap_or(settings.server.bind);
            settings.database.url = database_url.unwrap_or(settings.database.url);
            settings.registries.url = registries.or(settings.registries.url);
            runtime()?
                .block_on(serve(settings))
                .map(|()| ExitCode::SUCCESS)
        }
    }
}

fn bench_options(settings: &Settings, args: BenchArgs) -> onestop::bench::BenchOptions {
    onestop::bench::BenchOptions {
        definitions: settings.definitions.root.clone(),
        clients: args.clients,
        duration: std::time::Duration::from_secs(args.duration),
        latency_ms: args.latency_ms,
        rate: args.rate.filter(|r| *r > 0.0),
        poll: std::time::Duration::from_millis(args.poll_ms.max(1)),
        postgres: args.postgres,
        waiting: args.waiting,
        dispatcher_concurrency: args.dispatcher_concurrency,
        registry_concurrency: args.registry_concurrency,
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")
}

fn check(settings: &Settings, deny_warnings: bool) -> ExitCode {
    let (errors, warnings, summary) = match onestop::bundle::compile(&settings.definitions.root) {
        Ok(catalog) => {
            let summary = format!(
                "{} bundle(s), {} service(s)",
                catalog.bundles.len(),
                catalog.services.len()
            );
            (Vec::new(), catalog.warnings, summary)
        }
        Err(diagnostics) => (diagnostics.errors, diagnostics.warnings, String::new()),
    };
    for d in &errors {
        println!("error: {d}");
    }
    for d in &warnings {
        println!("warning: {d}");
    }
    let failed = !errors.is_empty() || (deny_warnings && !warnings.is_empty());
    if errors.is_empty() && warnings.is_empty() {
        println!("ok: {summary}, no problems");
    } else {
        println!("{} error(s), {} warning(s)", errors.len(), warnings.len());
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn form(settings: &Settings, bundle_id: &str, services: Option<&str>) -> anyhow::Result<ExitCode> {
    let catalog = onestop::bundle::compile(&settings.definitions.root)?;
    let bundle = catalog
        .bundle(bundle_id)
        .with_context(|| format!("unknown bundle \"{bundle_id}\""))?;
    let chosen: Option<Vec<String>> = services.map(|s| {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let selection = bundle.select(chosen.as_deref())?;
    let form = bundle.form(&catalog, &selection)?;
    println!("{}", serde_json::to_string_pretty(&form.bundled)?);
    Ok(ExitCode::SUCCESS)
}

fn explain(
    settings: &Settings,
    bundle_id: &str,
    file: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let catalog = onestop::bundle::compile(&settings.definitions.root)?;
    let bundle = catalog
        .bundle(bundle_id)
        .with_context(|| format!("unknown bundle \"{bundle_id}\""))?;
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("Failed to read {}", file.display()))?;
    let body: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let chosen: Option<Vec<String>> = body
        .get("services")
        .and_then(|s| serde_json::from_value(s.clone()).ok());
    let selection = bundle.select(chosen.as_deref())?;
    let form = bundle.form(&catalog, &selection)?;
    let data = body.get("data").cloned().unwrap_or_default();
    if let Err(errors) = form.validate(data.clone()) {
        println!("Заяву не буде прийнято / the application would be refused:");
        for e in errors {
            println!(
                "  {}: {} (потрібно для / needed by: {})",
                e.pointer,
                e.message,
                e.services.join(", ")
            );
        }
        return Ok(ExitCode::FAILURE);
    }
    let plan = onestop::fanout::plan(bundle, &selection, &data);
    println!("{} — {} / {}", bundle.id, bundle.title.uk, bundle.title.en);
    for (n, stage) in plan.stages.iter().enumerate() {
        println!(
            "Етап {} / stage {} (паралельно / in parallel):",
            n + 1,
            n + 1
        );
        for (id, items) in stage {
            let title = catalog
                .service(id)
                .map(|s| s.title.uk.as_str())
                .unwrap_or_default();
            let after = bundle
                .step(id)
                .map(|s| {
                    s.depends_on
                        .iter()
                        .map(|d| d.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let after = if after.is_empty() {
                String::new()
            } else {
                format!(" — після / after {after}")
            };
            let times = if *items > 1 {
                format!(" ×{items}")
            } else {
                String::new()
            };
            println!("  {id}{times}: {title}{after}");
        }
    }
    for step in &bundle.human_steps {
        let applies = step
            .condition
            .as_ref()
            .map_or(Ok(true), |c| c.evaluate(&data));
        let before: Vec<&str> = step.before.iter().map(|s| s.0.as_str()).collect();
        match applies {
            Ok(true) => println!(
                "Людський крок / human step: {} — {}; чекають / waiting: {}; строк / expires after {}",
                step.id,
                step.title.uk,
                before.join(", "),
                step.expires_after
            ),
            Ok(false) => println!(
                "Людський крок не потрібен / human step not needed: {}",
                step.id
            ),
            Err(e) => println!(
                "Людський крок {}: умову не вдалося обчислити ({e})",
                step.id
            ),
        }
    }
    for (id, why) in &plan.skipped {
        println!("Пропущено / skipped: {id}: {why}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn sandbox(settings: &Settings, bind: &str, behaviour: Option<&Path>) -> anyhow::Result<()> {
    let catalog = Arc::new(onestop::bundle::compile(&settings.definitions.root)?);
    let options = onestop::startup::sandbox_options(settings, behaviour)?;
    let listener = TcpListener::bind(bind).with_context(|| format!("Failed to bind {bind}"))?;
    tracing::info!(address = %listener.local_addr()?, "Simulated registries listening");
    onestop::sandbox::serve(listener, catalog, options)
        .context("Failed to start the simulated registries")?
        .await
        .context("The sandbox failed")
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    tracing::info!(registries = app.registries_url(), "Registries");
    println!(
        "onestop працює: відкрийте {}/ у браузері (open it in a browser)",
        app.public_url()
    );
    app.run_until_stopped().await
}
