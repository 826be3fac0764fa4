//! The bench's command line: the same flags, defaults and help as `onestop bench` had when the
//! bench was a subcommand of the product, turned into `BenchOptions`.
//!
//! It parses and resolves flags only; it must not measure or start anything.

use crate::{BenchOptions, LOCAL_POSTGRES};
use anyhow::Context;
use clap::Parser;
use onestop::settings::Settings;
use std::path::PathBuf;
use std::time::Duration;

/// Measure onestop against its registries: throughput, completion latency over the critical
/// path, memory and CPU of a real `onestop serve` (see docs/performance.md).
#[derive(Parser)]
#[command(name = "onestop-bench", version)]
pub struct Cli {
    /// Settings file (default: ./onestop.toml if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Folder holding bundles/, services/ and forms/ (setting definitions.root).
    #[arg(long)]
    definitions: Option<PathBuf>,
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
    #[arg(long, num_args = 0..=1, default_missing_value = LOCAL_POSTGRES)]
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

impl Cli {
    /// The options to run with: the definitions folder comes from the settings (file and
    /// environment) unless `--definitions` names one, as for every `onestop` command.
    pub fn options(self) -> anyhow::Result<BenchOptions> {
        let settings = Settings::load(self.config.as_deref()).context("Failed to load settings")?;
        Ok(BenchOptions {
            definitions: self.definitions.unwrap_or(settings.definitions.root),
            clients: self.clients,
            duration: Duration::from_secs(self.duration),
            latency_ms: self.latency_ms,
            rate: self.rate.filter(|r| *r > 0.0),
            poll: Duration::from_millis(self.poll_ms.max(1)),
            postgres: self.postgres,
            waiting: self.waiting,
            dispatcher_concurrency: self.dispatcher_concurrency,
            registry_concurrency: self.registry_concurrency,
        })
    }
}
