//! Building and running the application: definitions compiled, database migrated, registries
//! chosen (the in-process sandbox unless a URL is given), listener bound, dispatcher started.

use crate::applications::{Applications, Confirming};
use crate::bundle;
use crate::bundle::PolicyOverride;
use crate::fanout::{Circuit, DispatchSettings, Dispatcher, Policy, RegistryLimits};
use crate::http::{self, AppState};
use crate::notify::Notifier;
use crate::registry::signature::Secrets;
use crate::sandbox::{Behaviours, SandboxOptions};
use crate::settings::Settings;
use crate::store::Store;
use actix_web::{App, HttpServer, dev::Server, web};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// A built, not yet running, onestop server.
pub struct Application {
    port: u16,
    public_url: String,
    registries_url: String,
    server: Server,
    sandbox: Option<Server>,
    dispatcher: Dispatcher,
    store: Store,
    catalog: Arc<bundle::Catalog>,
    applications: Applications,
    /// How long personal data is kept when a bundle does not say.
    retention: jiff::Span,
    /// The receipts' secret (their check codes are kept at a purge).
    receipt_secret: String,
}

/// Where registry calls go: the configured URL, or an in-process sandbox started here.
fn registries(
    settings: &Settings,
    catalog: &Arc<bundle::Catalog>,
) -> anyhow::Result<(String, Option<Server>)> {
    if let Some(url) = &settings.registries.url {
        return Ok((url.clone(), None));
    }
    let listener =
        TcpListener::bind("127.0.0.1:0").context("Failed to bind the in-process sandbox")?;
    let url = format!("http://{}", listener.local_addr()?);
    let options = sandbox_options(settings, None)?;
    let sandbox = crate::sandbox::serve(listener, catalog.clone(), options)?;
    Ok((url, Some(sandbox)))
}

/// Real registries must not share the sandbox's well-known callback secret.
fn warn_of_sandbox_secret(settings: &Settings) {
    if settings.registries.url.is_some()
        && settings.registries.callback_secret == crate::settings::SANDBOX_SECRET
    {
        tracing::warn!(
            "Real registries with the sandbox's callback secret: set registries.callback_secret"
        );
    }
}

impl Application {
    /// Compile definitions, connect the database, bind the listener (port 0 works).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let retention = settings.retention.span()?;
        let root = &settings.definitions.root;
        let catalog = bundle::compile(root)?;
        for warning in &catalog.warnings {
            tracing::warn!(%warning, "Definition warning (see onestop check)");
        }
        let store = connect(&settings).await?;
        let catalog = Arc::new(crate::applications::pin_versions(root, catalog, &store).await?);
        let (registries_url, sandbox) = registries(&settings, &catalog)?;
        let adapters =
            crate::registry::setup::adapters(&settings.registries, &catalog, &registries_url)?;
        let listener = TcpListener::bind(&settings.server.bind)
            .with_context(|| format!("Failed to bind {}", settings.server.bind))?;
        let addr = listener.local_addr()?;
        let public_url = settings
            .server
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned();
        warn_of_sandbox_secret(&settings);
        let dispatcher = Dispatcher::new(
            store.clone(),
            catalog.clone(),
            adapters,
            dispatch_settings(&settings, &public_url),
            Arc::new(crate::telemetry::Telemetry::new()),
        );
        let notifier = notifier(&settings, &registries_url, sandbox.is_some())?;
        let state = app_state(
            &settings,
            &catalog,
            &store,
            &dispatcher,
            &public_url,
            notifier,
        );
        let applications = state.applications.clone();
        let server = http_server(listener, state, settings.server.max_body_bytes)?;
        Ok(Self {
            port: addr.port(),
            public_url,
            registries_url,
            server,
            sandbox,
            dispatcher,
            store,
            catalog,
            applications,
            retention,
            receipt_secret: settings.server.receipt_secret.clone(),
        })
    }

    /// On a database without accounts, make the first admin, and while the in-process sandbox
    /// is the registry (the demo), a demo ward and CNAP with their staff; what was made, to
    /// print once. Against real registries no demo data is ever made.
    pub async fn first_run(&self) -> anyhow::Result<Option<crate::people::FirstRun>> {
        let demo = self.sandbox.is_some();
        crate::people::first_run(&self.store, &self.catalog, demo).await
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The database, for tools and tests that set up people beside the server.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn registries_url(&self) -> &str {
        &self.registries_url
    }

    /// Serve until the server stops (Ctrl-C, or the task is dropped).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let dispatcher = tokio::spawn(self.dispatcher.run());
        let reads = tokio::spawn(flush_reads(self.applications.clone()));
        let retention = (self.retention, self.receipt_secret);
        let purges = tokio::spawn(purge_daily(self.catalog, self.store.clone(), retention));
        let index = tokio::spawn(self.applications.clone().index_earlier());
        let reminders = tokio::spawn(remind(self.applications));
        let sandbox = self.sandbox.map(tokio::spawn);
        let result = self.server.await;
        dispatcher.abort();
        reminders.abort();
        reads.abort();
        purges.abort();
        index.abort();
        if let Some(sandbox) = sandbox {
            sandbox.abort();
        }
        result.context("The HTTP server failed")
    }
}

/// What every request handler shares.
fn app_state(
    settings: &Settings,
    catalog: &Arc<bundle::Catalog>,
    store: &Store,
    dispatcher: &Dispatcher,
    public_url: &str,
    (notifier, sms_outbox): (Notifier, Option<String>),
) -> AppState {
    let confirming = Confirming {
        notifier,
        public_url: public_url.to_owned(),
        code_key: settings.server.receipt_secret.clone(),
    };
    let applications = Applications::new(
        catalog.clone(),
        store.clone(),
        dispatcher,
        callback_secrets(settings),
        settings.registries.callback_window_seconds,
        confirming,
    );
    AppState {
        applications,
        catalog: catalog.clone(),
        store: store.clone(),
        public_url: public_url.to_owned(),
        receipt_secret: settings.server.receipt_secret.clone(),
        auth: settings.auth.clone(),
        sms_outbox,
        oidc: (settings.auth.oidc.clone()).and_then(|o| crate::oidc::Oidc::new(o, public_url).ok()),
        telemetry: dispatcher.telemetry(),
        metrics: settings.metrics.clone(),
        contract: http::openapi::json(catalog),
    }
}

async fn connect(settings: &Settings) -> anyhow::Result<Store> {
    let url = &settings.database.url;
    Store::connect(url, settings.database.writers)
        .await
        .with_context(|| format!("Failed to open the database {}", redact(url)))
}

/// The notification channels: the configured SMS gateway, or with the in-process sandbox its
/// gateway (and where its messages are read, for the demo's pages).
fn notifier(
    settings: &Settings,
    registries_url: &str,
    in_process: bool,
) -> anyhow::Result<(Notifier, Option<String>)> {
    let sms = &settings.notifications.sms;
    let (url, outbox) = match (&sms.url, in_process) {
        (Some(url), _) => (url.clone(), None),
        (None, true) => (
            format!("{registries_url}/_sandbox/sms"),
            Some(format!("{registries_url}/_sandbox/messages")),
        ),
        (None, false) => {
            tracing::warn!(
                "No SMS gateway (notifications.sms.url): nobody can be sent a confirmation code"
            );
            return Ok((Notifier::default(), None));
        }
    };
    let gateway = crate::notify::SmsGateway::new(&url, sms.token.clone())?;
    Ok((Notifier::new(vec![Arc::new(gateway)]), outbox))
}

/// Every five seconds, store the counts of repeated reads into their audit entries.
async fn flush_reads(applications: Applications) {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        every.tick().await;
        if let Err(e) = applications.flush_reads().await {
            tracing::warn!(error = %e, "Counts of repeated reads not stored; trying again");
        }
    }
}

/// A minute after start and then daily, remove the personal data past its retention.
async fn purge_daily(catalog: Arc<bundle::Catalog>, store: Store, retention: (jiff::Span, String)) {
    let day = Duration::from_secs(24 * 3600);
    let mut every =
        tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(60), day);
    loop {
        every.tick().await;
        let keep = (retention.0, retention.1.as_str());
        let purged = crate::applications::purge::purge(&catalog, &store, keep, false);
        if let Err(e) = purged.await {
            tracing::warn!(error = %e, "Purge failed; trying again tomorrow");
        }
    }
}

/// Every minute, remind the people whose steps end within a day.
async fn remind(applications: Applications) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        if let Err(e) = applications.remind().await {
            tracing::warn!(error = %e, "Reminders failed; trying again in a minute");
        }
    }
}

fn http_server(
    listener: TcpListener,
    state: AppState,
    max_body_bytes: usize,
) -> anyhow::Result<Server> {
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            // The id is given inside the log line's middleware, so the line can show it.
            .wrap(actix_web::middleware::from_fn(http::request_id::assign))
            .wrap(tracing_actix())
            .app_data(state.clone())
            .configure(|cfg| http::configure(cfg, max_body_bytes))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// One line per request: method, path with its secrets left out (`http::loggable_path`; no
/// query string), status and time. Headers, cookies and bodies are never logged.
fn tracing_actix() -> actix_web::middleware::Logger {
    actix_web::middleware::Logger::new("%{request}xi %s %Dms %{x-request-id}o")
        .custom_request_replace("request", |req| {
            format!("{} {}", req.method(), http::loggable_path(req.path()))
        })
}

fn dispatch_settings(settings: &Settings, public_url: &str) -> DispatchSettings {
    let d = &settings.dispatcher;
    let r = &settings.registries;
    let ms = Duration::from_millis;
    let registries = r
        .overrides
        .iter()
        .map(|(name, o)| {
            let limits = RegistryLimits {
                policy: PolicyOverride {
                    max_attempts: o.max_attempts,
                    retry_for: o.retry_for_seconds.map(Duration::from_secs),
                    backoff_base: o.backoff_base_ms.map(ms),
                    backoff_cap: o.backoff_cap_ms.map(ms),
                    timeout: o.timeout_ms.map(ms),
                },
                concurrency: o.concurrency,
                rate_per_second: o.rate_per_second.filter(|r| r.is_finite() && *r > 0.0),
            };
            (name.clone(), limits)
        })
        .collect();
    DispatchSettings {
        instance: d.instance.clone().unwrap_or_else(instance_name),
        poll_interval: ms(d.poll_interval_ms),
        concurrency: d.concurrency.max(1),
        lease: ms(d.lease_ms.max(1)),
        defaults: Policy {
            timeout: ms(r.timeout_ms.max(1)),
            retry_for: Duration::from_secs(d.retry_for_seconds.max(1)),
            max_attempts: d.max_attempts.map(|n| n.max(1)),
            backoff_base: ms(d.backoff_base_ms),
            backoff_cap: ms(d.backoff_cap_ms),
        },
        registry_concurrency: r.concurrency.max(1),
        registries,
        circuit: Circuit {
            failures_to_open: r.circuit.failures_to_open.max(1),
            probe_first: ms(r.circuit.probe_first_ms.max(1)),
            probe_max: ms(r.circuit.probe_max_ms.max(r.circuit.probe_first_ms).max(1)),
            refresh: ms(r.circuit.refresh_ms.max(1)),
        },
        recheck_after: Duration::from_secs(r.recheck_after_seconds.max(1)),
        poll_every: Duration::from_secs(5),
        answer_deadline: Duration::from_secs(r.answer_deadline_hours.max(1) * 3600),
        callback_base: format!("{public_url}/api/v1/callbacks"),
    }
}

/// The simulated registries' options: the misbehaviour file (`behaviour`, else the setting
/// `registries.sandbox_behaviour`) and the same callback secrets the server checks.
pub fn sandbox_options(
    settings: &Settings,
    behaviour: Option<&std::path::Path>,
) -> anyhow::Result<SandboxOptions> {
    let file = behaviour.or(settings.registries.sandbox_behaviour.as_deref());
    let behaviours = match file {
        Some(path) => Behaviours::from_file(path)?,
        None => Behaviours::default(),
    };
    Ok(SandboxOptions {
        behaviours,
        secrets: callback_secrets(settings),
        answer_log: None,
        tls: None,
    })
}

fn callback_secrets(settings: &Settings) -> Secrets {
    let r = &settings.registries;
    Secrets {
        default: r.callback_secret.clone(),
        per_registry: r
            .overrides
            .iter()
            .filter_map(|(name, o)| Some((name.clone(), o.callback_secret.clone()?)))
            .collect(),
    }
}

/// The host name and process id, so that claims and logs tell instances apart.
fn instance_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "onestop".into());
    format!("{host}-{}", std::process::id())
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
