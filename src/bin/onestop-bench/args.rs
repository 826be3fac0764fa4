//! The bench's command line: the same flags, defaults and help as `onestop bench` had when the
//! bench was a subcommand of the product, turned into `BenchOptions`.
//!
//! It parses and resolves flags only; it must not measure or start anything.

use crate::outage::Outage;
use crate::{BenchOptions, LOCAL_POSTGRES};
use anyhow::Context;
use clap::Parser;
use onestop::registry::Protocol;
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
    /// Take a registry down for a while (e.g. tax-service:600): every service of it answers
    /// 503 to every call. Needs --rate.
    #[arg(long, value_name = "REGISTRY:SECONDS", value_parser = parse_outage)]
    outage: Option<(String, u64)>,
    /// When the outage begins, in seconds after the load starts.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 10,
        requires = "outage"
    )]
    outage_at: u64,
    /// Take nothing down, but report by the outage's windows as if: the run without the
    /// outage to set beside one with it (the same moments, the database grown the same).
    #[arg(long, requires = "outage")]
    outage_control: bool,
    /// The protocol every registry is reached by: onestop-rest, trembita-soap (through the
    /// sandbox's emulated security server) or trembita-rest.
    #[arg(long, default_value = "onestop-rest", value_parser = parse_protocol)]
    protocol: Protocol,
}

fn parse_protocol(name: &str) -> Result<Protocol, String> {
    (Protocol::ALL.into_iter())
        .find(|p| p.name() == name)
        .ok_or_else(|| format!("one of onestop-rest, trembita-soap, trembita-rest, not \"{name}\""))
}

impl Cli {
    /// The options to run with: the definitions folder comes from the settings (file and
    /// environment) unless `--definitions` names one, as for every `onestop` command.
    pub fn options(self) -> anyhow::Result<BenchOptions> {
        let settings = Settings::load(self.config.as_deref()).context("Failed to load settings")?;
        let rate = self.rate.filter(|r| *r > 0.0);
        let outage = self.outage.map(|(registry, seconds)| Outage {
            registry,
            at: Duration::from_secs(self.outage_at),
            length: Duration::from_secs(seconds),
            control: self.outage_control,
        });
        if outage.is_some() {
            anyhow::ensure!(
                self.waiting.is_none(),
                "--outage measures a load, not parked applications: drop --waiting"
            );
            anyhow::ensure!(
                rate.is_some(),
                "--outage needs the open loop: give --rate too (e.g. --rate 50); without it \
                 each client waits for its application, so the clients would stall behind the \
                 outage instead of submitting through it"
            );
        }
        Ok(BenchOptions {
            definitions: self.definitions.unwrap_or(settings.definitions.root),
            clients: self.clients,
            duration: Duration::from_secs(self.duration),
            latency_ms: self.latency_ms,
            rate,
            poll: Duration::from_millis(self.poll_ms.max(1)),
            postgres: self.postgres,
            waiting: self.waiting,
            dispatcher_concurrency: self.dispatcher_concurrency,
            registry_concurrency: self.registry_concurrency,
            outage,
            protocol: self.protocol,
        })
    }
}

/// `REGISTRY:SECONDS`, a registry's name and a positive number of seconds.
fn parse_outage(text: &str) -> Result<(String, u64), String> {
    let (registry, seconds) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("\"{text}\" is not REGISTRY:SECONDS (e.g. tax-service:600)"))?;
    let seconds: u64 = seconds
        .parse()
        .map_err(|_| format!("\"{seconds}\" is not a whole number of seconds"))?;
    if registry.is_empty() || seconds == 0 {
        return Err(format!(
            "\"{text}\" names no registry or no time (e.g. tax-service:600)"
        ));
    }
    Ok((registry.to_owned(), seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_a_registry_and_its_seconds() {
        let outage = parse_outage("tax-service:600").expect("an outage");
        assert_eq!(outage, ("tax-service".to_owned(), 600));
        assert!(parse_outage("tax-service").is_err());
        assert!(parse_outage("tax-service:ten").is_err());
        assert!(parse_outage(":600").is_err());
        assert!(parse_outage("tax-service:0").is_err());
    }
}
