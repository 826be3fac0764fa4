//! Layered settings: defaults → optional file (`onestop.toml` or `--config`) → environment
//! (`ONESTOP__SECTION__KEY`) → command-line flags. Every address, URL and directory is a setting
//! so that tests and deployments can point them elsewhere.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub registries: RegistrySettings,
    pub definitions: DefinitionSettings,
    pub dispatcher: DispatcherSettings,
    pub auth: AuthSettings,
    #[serde(default)]
    pub notifications: NotificationSettings,
    #[serde(default)]
    pub retention: RetentionSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
}

/// `/metrics` and the registries' health page.
#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// The bearer token a Prometheus scrape sends; unset, `/metrics` answers 404.
    #[serde(default)]
    pub token: Option<String>,
    /// A registry whose calls took longer than this at the 95th percentile over the last five
    /// minutes is shown as slow (ms).
    #[serde(default = "default_slow_call_ms")]
    pub slow_call_ms: u64,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            token: None,
            slow_call_ms: default_slow_call_ms(),
        }
    }
}

fn default_slow_call_ms() -> u64 {
    2000
}

/// How long personal data is kept after an application ends, for bundles that do not say.
#[derive(Debug, Clone, Deserialize)]
pub struct RetentionSettings {
    /// An ISO 8601 duration (`P180D`).
    pub default: String,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            default: "P180D".into(),
        }
    }
}

impl RetentionSettings {
    /// The default retention, checked: a positive duration.
    pub fn span(&self) -> anyhow::Result<jiff::Span> {
        let span: jiff::Span = (self.default.parse()).map_err(|e| {
            anyhow::anyhow!(
                "retention.default \"{}\" is not a duration: {e}",
                self.default
            )
        })?;
        anyhow::ensure!(
            span.is_positive(),
            "retention.default must be a positive duration"
        );
        Ok(span)
    }
}

/// How people are reached (invitations, reminders, one-time codes).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NotificationSettings {
    #[serde(default)]
    pub sms: SmsSettings,
}

/// An SMS gateway reached over HTTP (`POST {url}` with `{"to", "text"}`). Unset with the
/// in-process sandbox: the sandbox's gateway, whose messages the demo shows.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SmsSettings {
    pub url: Option<String>,
    /// Sent as `Authorization: Bearer <token>` when set.
    pub token: Option<String>,
}

/// Sign-in: how long a session lasts, and when repeated wrong passwords lock an account.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// A session ends after this long without a request.
    pub session_idle_minutes: i64,
    /// A session ends this long after sign-in, however busy.
    pub session_hours: i64,
    /// Wrong passwords in a row that lock an account …
    pub lockout_after: i64,
    /// … for this long.
    pub lockout_minutes: i64,
    /// Sign-in through an OpenID provider (none: local accounts only).
    #[serde(default)]
    pub oidc: Option<OidcSettings>,
}

/// onestop as an OpenID Connect relying party: the provider's issuer (discovered from
/// `/.well-known/openid-configuration`), this client's credentials, and which claims of the
/// provider's user info say the login, the institution and the role.
#[derive(Debug, Clone, Deserialize)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Scopes asked for besides `openid` (space-separated), e.g. `profile staff`.
    #[serde(default = "default_scopes")]
    pub scopes: String,
    #[serde(default = "default_login_claim")]
    pub login_claim: String,
    #[serde(default = "default_institution_claim")]
    pub institution_claim: String,
    #[serde(default = "default_role_claim")]
    pub role_claim: String,
    /// The claim with a person's RNOKPP, which proves a person confirming a human step
    /// (id.gov.ua calls it `drfocode`).
    #[serde(default = "default_rnokpp_claim")]
    pub rnokpp_claim: String,
}

fn default_scopes() -> String {
    "profile".into()
}
fn default_login_claim() -> String {
    "preferred_username".into()
}
fn default_institution_claim() -> String {
    "institution".into()
}
fn default_role_claim() -> String {
    "role".into()
}
fn default_rnokpp_claim() -> String {
    "drfocode".into()
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free one.
    pub bind: String,
    /// The address people reach the server at, for links and QR codes (default: from `bind`).
    pub public_url: Option<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Keys the receipts' check codes (set your own in production; keep it, or old receipts
    /// stop matching their verify page).
    pub receipt_secret: String,
    /// At SIGTERM or Ctrl-C, how long calls in flight may take to finish (and requests to be
    /// answered) before the rest is given back for another instance to take at once.
    pub shutdown_grace_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://file.db` (created if missing) or `postgres://…`.
    pub url: String,
    /// Writers per instance on PostgreSQL, each storing its share of the applications in
    /// batches on a connection of its own (default 2; SQLite always has one).
    pub writers: Option<usize>,
    /// Apply the schema's migrations at start (default). Operators who migrate as a separate
    /// step (`onestop migrate`) turn it off; `serve` then refuses a database behind its schema.
    pub migrate_on_start: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RegistrySettings {
    /// Where registry calls go (`{url}/{registry}/{service}`); unset starts the sandbox in-process.
    pub url: Option<String>,
    /// Per-call timeout (a registry, service or bundle step may say otherwise).
    pub timeout_ms: u64,
    /// Calls in flight to one registry at once.
    pub concurrency: usize,
    /// The secret registries sign their callbacks with (override it per registry).
    pub callback_secret: String,
    /// How far a callback's timestamp may be from this server's clock.
    pub callback_window_seconds: i64,
    /// When a registry answered 202 and has not called back, ask it again after this long.
    pub recheck_after_seconds: u64,
    /// A registry that accepted a call (202) but never answered fails it after this long.
    pub answer_deadline_hours: u64,
    /// Misbehaviour of the in-process sandbox (JSON, see `onestop sandbox --behaviour`).
    pub sandbox_behaviour: Option<PathBuf>,
    /// When a registry counts as unavailable, and how it is probed meanwhile.
    pub circuit: CircuitSettings,
    /// Per registry (by name, e.g. `tax-service`): timeout, concurrency, rate, retries, secret,
    /// protocol.
    #[serde(default)]
    pub overrides: BTreeMap<String, RegistryOverride>,
    /// The protocol registries are reached by, unless a registry's override says otherwise.
    pub protocol: crate::registry::Protocol,
    /// How onestop reaches Trembita: its security server and who it is there.
    #[serde(default)]
    pub trembita: TrembitaSettings,
}

/// onestop as a client of Trembita (X-Road).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrembitaSettings {
    /// The security server's address (`https://ss.example.gov.ua`); unset: the sandbox's
    /// emulator at `{registries.url}/trembita`.
    pub security_server: Option<String>,
    /// onestop's subsystem: `<instance>/<member class>/<member code>/<subsystem>`, e.g.
    /// `SEVDEIR-TEST/GOV/12345678/ONESTOP`.
    pub client: Option<String>,
    /// Mutual TLS to the security server: this client's certificate and key (PEM), and the
    /// CA that signed the security server's certificate (PEM; unset: the system's roots).
    #[serde(default)]
    pub tls: crate::registry::TlsFiles,
}

/// The client identity used when `registries.trembita.client` is unset: the sandbox accepts it,
/// and the start announces it as a development default.
pub const SANDBOX_TREMBITA_CLIENT: &str = "SEVDEIR-TEST/GOV/00000000/ONESTOP-DEV";

/// A registry's circuit: after `failures_to_open` retriable failures in a row (seen by one
/// instance) it is unavailable for every instance; its calls are held and one probe call goes
/// out after `probe_first_ms`, then at intervals doubling up to `probe_max_ms`, until one is
/// answered.
#[derive(Debug, Clone, Deserialize)]
pub struct CircuitSettings {
    pub failures_to_open: u32,
    pub probe_first_ms: u64,
    pub probe_max_ms: u64,
    /// How often an instance reads the circuits' state, which other instances may change.
    pub refresh_ms: u64,
}

/// One registry's settings where they differ from the defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryOverride {
    pub timeout_ms: Option<u64>,
    pub concurrency: Option<usize>,
    /// Calls a second at most (none: as fast as its concurrency allows).
    pub rate_per_second: Option<f64>,
    pub retry_for_seconds: Option<u64>,
    pub max_attempts: Option<i64>,
    pub backoff_base_ms: Option<u64>,
    pub backoff_cap_ms: Option<u64>,
    pub callback_secret: Option<String>,
    /// The protocol this registry is reached by.
    pub protocol: Option<crate::registry::Protocol>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DefinitionSettings {
    /// The folder holding `bundles/`, `services/` and `forms/`.
    pub root: PathBuf,
}

pub use crate::registry::signature::SANDBOX_SECRET;

/// The receipts' secret when none is set: for development only (anyone could forge check
/// codes with it), announced at start.
pub const DEVELOPMENT_RECEIPT_SECRET: &str = "onestop-development-receipt-secret";

#[derive(Debug, Clone, Deserialize)]
pub struct DispatcherSettings {
    /// This instance's name in claims and logs (default: host name and process id).
    pub instance: Option<String>,
    pub poll_interval_ms: u64,
    pub concurrency: usize,
    pub lease_ms: u64,
    /// How long retriable failures of a call are retried, from the first of a run (72 hours).
    pub retry_for_seconds: u64,
    /// An optional cap on retriable failures in a row, besides the time budget (none).
    pub max_attempts: Option<i64>,
    pub backoff_base_ms: u64,
    pub backoff_cap_ms: u64,
}

impl Settings {
    /// Defaults, then `file` (or `onestop.toml` if present), then `ONESTOP__*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, config::ConfigError> {
        let builder = match file {
            Some(path) => defaults()?.add_source(config::File::from(path)),
            None => defaults()?.add_source(config::File::with_name("onestop").required(false)),
        };
        builder
            .add_source(
                config::Environment::with_prefix("ONESTOP")
                    .prefix_separator("__")
                    .separator("__"),
            )
            .build()?
            .try_deserialize()
    }

    /// The built-in defaults alone (no file, no environment), as tests start from.
    pub fn defaults() -> Result<Self, config::ConfigError> {
        defaults()?.build()?.try_deserialize()
    }
}

fn defaults() -> Result<config::ConfigBuilder<config::builder::DefaultState>, config::ConfigError> {
    config::Config::builder()
        .set_default("server.bind", "127.0.0.1:8080")?
        .set_default("server.max_body_bytes", 256 * 1024)?
        .set_default("server.receipt_secret", DEVELOPMENT_RECEIPT_SECRET)?
        .set_default("server.shutdown_grace_seconds", 20)?
        .set_default("database.url", "sqlite://onestop.db")?
        .set_default("database.migrate_on_start", true)?
        .set_default("registries.timeout_ms", 10_000)?
        .set_default("registries.protocol", "onestop-rest")?
        .set_default("registries.concurrency", 16)?
        .set_default("registries.callback_secret", SANDBOX_SECRET)?
        .set_default("registries.callback_window_seconds", 300)?
        .set_default("registries.recheck_after_seconds", 900)?
        .set_default("registries.answer_deadline_hours", 24 * 30)?
        .set_default("registries.circuit.failures_to_open", 5)?
        .set_default("registries.circuit.probe_first_ms", 2_000)?
        .set_default("registries.circuit.probe_max_ms", 60_000)?
        .set_default("registries.circuit.refresh_ms", 1_000)?
        .set_default("definitions.root", ".")?
        .set_default("dispatcher.poll_interval_ms", 200)?
        .set_default("dispatcher.concurrency", 32)?
        .set_default("dispatcher.lease_ms", 60_000)?
        .set_default("dispatcher.retry_for_seconds", 72 * 3600)?
        .set_default("dispatcher.backoff_base_ms", 500)?
        .set_default("dispatcher.backoff_cap_ms", 300_000)?
        .set_default("auth.session_idle_minutes", 30)?
        .set_default("auth.session_hours", 12)?
        .set_default("auth.lockout_after", 5)?
        .set_default("auth.lockout_minutes", 15)
}
