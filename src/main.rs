//! The `onestop` command: set up logging, load settings, run the chosen subcommand.

use anyhow::Context;
use clap::{Parser, Subcommand};
use onestop::settings::Settings;
use onestop::startup::Application;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

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
    Check,
    /// Serve the simulated registries alone.
    Sandbox {
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: String,
    },
    /// Print the combined form (JSON Schema) of a bundle.
    Form {
        bundle: String,
        /// Comma-separated optional services to include (default: all).
        #[arg(long)]
        services: Option<String>,
    },
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
        Command::Check => Ok(check(&settings)),
        Command::Form { bundle, services } => form(&settings, &bundle, services.as_deref()),
        Command::Sandbox { bind } => runtime()?
            .block_on(sandbox(&settings, &bind))
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

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")
}

fn check(settings: &Settings) -> ExitCode {
    match onestop::bundle::compile(&settings.definitions.root) {
        Ok(catalog) => {
            println!(
                "ok: {} bundle(s), {} service(s), no problems",
                catalog.bundles.len(),
                catalog.services.len()
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            for d in &diagnostics.0 {
                println!("error: {d}");
            }
            println!("{} problem(s) found", diagnostics.0.len());
            ExitCode::FAILURE
        }
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

async fn sandbox(settings: &Settings, bind: &str) -> anyhow::Result<()> {
    let catalog = Arc::new(onestop::bundle::compile(&settings.definitions.root)?);
    let listener = TcpListener::bind(bind).with_context(|| format!("Failed to bind {bind}"))?;
    tracing::info!(address = %listener.local_addr()?, "Simulated registries listening");
    onestop::sandbox::serve(listener, catalog)?
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
