//! The long-running commands: `serve` (the API, the pages and the dispatcher) and `sandbox`
//! (the simulated registries alone), each on a runtime of its own until it is stopped.
//!
//! They start what `startup` and `sandbox` build; they must not build or configure any part
//! themselves beyond the listening address.

use super::runtime;
use crate::settings::Settings;
use crate::startup::Application;
use anyhow::Context;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

/// Serve the web pages and the API, and fan applications out, until stopped; the first line
/// printed names the address (the bench reads it there).
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
        app.run_until_stopped().await
    })
}

/// Serve the simulated registries alone on `bind`, misbehaving as the `behaviour` file (or the
/// setting `registries.sandbox_behaviour`) says.
pub fn sandbox(settings: &Settings, bind: &str, behaviour: Option<&Path>) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let catalog = Arc::new(crate::bundle::compile(&settings.definitions.root)?);
        let options = crate::startup::sandbox_options(settings, behaviour)?;
        let listener = TcpListener::bind(bind).with_context(|| format!("Failed to bind {bind}"))?;
        tracing::info!(address = %listener.local_addr()?, "Simulated registries listening");
        crate::sandbox::serve(listener, catalog, options)
            .context("Failed to start the simulated registries")?
            .await
            .context("The sandbox failed")
    })
}
