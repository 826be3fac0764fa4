//! What the `onestop` command does once its arguments are parsed: the reports printed at a
//! terminal (`check`, `form`, `graph`, `explain`), the start of the long-running servers
//! (`serve`, `sandbox`), and the set-up every binary of the package shares (logging, the
//! runtime).
//!
//! This is the terminal's edge, as `http` is the web's: each function calls the domain
//! (`bundle`, `form`, `fanout`, `startup`) and prints what it answers, in the words a person at
//! a terminal reads. It must not hold a rule of its own; whatever it decides, the server
//! decides the same way because both ask the same functions.

mod audit;
mod definitions;
mod explain;
mod people;
mod purge;
mod serve;

pub use audit::verify_audit;
pub use definitions::{check, form, graph};
pub use explain::explain;
pub use people::{add_institution, add_token, add_user, disable_user, revoke_token};
pub use purge::{migrate, purge};
pub use serve::{SandboxArgs, sandbox, serve};

use crate::bundle::{Bundle, Catalog};
use anyhow::Context;

/// The bundle `id` of `catalog`, or an error naming it.
fn find<'a>(catalog: &'a Catalog, id: &str) -> anyhow::Result<&'a Bundle> {
    catalog
        .bundle(id)
        .with_context(|| format!("unknown bundle \"{id}\""))
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// For people at a terminal: time, level, the span's fields (the request id), the message.
    #[default]
    Text,
    /// One JSON object a line, the current span's fields (the request id) and the message's
    /// fields as keys, for log collectors.
    Json,
}

/// Log to standard error at `RUST_LOG`'s levels (`info` when unset), leaving standard output
/// to what a command prints; for the `onestop` and `onestop-bench` binaries alike. Log lines
/// carry ids, services and outcomes, never personal data or secrets (request paths are logged
/// with their secrets left out, `http::loggable_path`).
pub fn logging(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let lines = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => lines.init(),
        LogFormat::Json => lines
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// A runtime for a command that serves or measures: every core, timers and I/O.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")
}
