//! The long-running commands: `serve` (the API, the pages and the dispatcher) and `sandbox`
//! (the simulated registries alone), each on a runtime of its own until it is stopped.
//!
//! They start what `startup` and `sandbox` build; they must not build or configure any part
//! themselves beyond the listening address.

use super::runtime;
use crate::sandbox::ServerTls;
use crate::settings::Settings;
use crate::startup::Application;
use anyhow::Context;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

/// Serve the web pages and the API, and fan applications out, until SIGTERM or Ctrl-C, then
/// stop cleanly (see `Application::run_until`); the first line printed names the address (the
/// bench reads it there).
pub fn serve(settings: Settings) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let app = Application::build(settings).await?;
        tracing::info!(registries = app.registries_url(), "Registries");
        println!(
            "onestop працює: відкрийте {}/ у браузері (open it in a browser)",
            app.public_url()
        );
        if let Some(made) = app.first_run().await? {
            super::people::print_first_run(&made, app.public_url());
        }
        app.run_until(terminated()).await
    })
}

/// Until SIGTERM (a deploy, `docker stop`) or Ctrl-C.
async fn terminated() {
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => drop(term.recv().await),
            Err(e) => {
                tracing::warn!(error = %e, "SIGTERM cannot be caught; stop with Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// `onestop sandbox`'s flags.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub bind: String,
    /// JSON file of misbehaviours (latency, failures, 429, 202…) by service.
    #[arg(long)]
    pub behaviour: Option<PathBuf>,
    /// Serve over TLS with this certificate (chain, PEM), requiring a client certificate, as
    /// a Trembita security server does (with --tls-key and --tls-client-ca).
    #[arg(long, requires_all = ["tls_key", "tls_client_ca"])]
    pub tls_certificate: Option<PathBuf>,
    /// The TLS certificate's private key (PEM).
    #[arg(long, requires_all = ["tls_certificate", "tls_client_ca"])]
    pub tls_key: Option<PathBuf>,
    /// The CA (PEM) whose client certificates are accepted; a client without one is refused.
    #[arg(long, requires_all = ["tls_certificate", "tls_key"])]
    pub tls_client_ca: Option<PathBuf>,
}

impl SandboxArgs {
    /// The TLS files, when all three are given (clap allows all or none).
    fn server_tls(&self) -> Option<ServerTls> {
        Some(ServerTls {
            certificate: self.tls_certificate.clone()?,
            key: self.tls_key.clone()?,
            client_ca: self.tls_client_ca.clone()?,
        })
    }
}

/// Serve the simulated registries alone on `--bind`, misbehaving as the `--behaviour` file (or
/// the setting `registries.sandbox_behaviour`) says, over mutual TLS when the TLS files are
/// given.
pub fn sandbox(settings: &Settings, args: &SandboxArgs) -> anyhow::Result<()> {
    let bind = &args.bind;
    runtime()?.block_on(async {
        let catalog = Arc::new(crate::bundle::compile(&settings.definitions.root)?);
        let mut options = crate::startup::sandbox_options(settings, args.behaviour.as_deref())?;
        options.tls = args.server_tls();
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let listener = TcpListener::bind(bind).with_context(|| format!("Failed to bind {bind}"))?;
        let address = listener.local_addr()?;
        let server = crate::sandbox::serve(listener, catalog, options)
            .context("Failed to start the simulated registries")?;
        tracing::info!(url = %format!("{scheme}://{address}"), "Simulated registries listening");
        server.await.context("The sandbox failed")
    })
}
