//! Storage of applications and their sub-requests through sqlx: SQLite by default (one file,
//! created on first run), PostgreSQL when the database URL says so. Migrations run at start.
//!
//! The sub-requests table is also the fan-out queue (claims are leases). Queries are plain SQL
//! that both backends accept; JSON and times are stored as text and integer milliseconds. This
//! module knows nothing about registries or HTTP.

mod advance;
mod applications;
mod audit;
mod circuits;
mod claim;
mod codes;
mod findable;
mod gauges;
mod history;
mod insert;
mod messages;
mod oidc_logins;
mod outside;
mod people;
mod purge;
mod record;
mod schema;
mod sql;
mod submissions;
mod versions;
mod worklist;

pub use applications::{
    ApplicationRecord, Findable, NewApplication, NewCall, Origin, SubRequestRecord,
};
pub use audit::{AuditFilter, Audits};
pub use circuits::{CallTiming, Closed, OpenCircuit};
pub use claim::{CallContext, Claim, Parked, Services, Take, acting};
pub use codes::CodeState;
pub use findable::Earlier;
pub use gauges::Waiting as WaitingCalls;
pub use history::HistoryEntry;
pub use messages::{LoggedMessage, Message};
pub use oidc_logins::OidcLogin;
pub use outside::{Retry, RetryResult, TokenTarget};
pub use people::{Credential, Institution, NewCredential, User};

pub use crate::lifecycle::{
    Answer, ApplicationId, ApplicationStatus, Completion, Finish, SubKind, SubStatus,
};
pub use record::Recorded;
pub use submissions::SubmissionKey;
pub use versions::{Pinned, StoredVersion};
pub use worklist::{Counts, ListQuery, ListRow};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Connection, Executor};
use std::time::Duration;

/// What went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Failed to connect to the database")]
    Connect(#[source] sqlx::Error),
    #[error("Failed to apply database migrations")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("Database query failed")]
    Query(#[from] sqlx::Error),
    #[error("Stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("Unsupported database URL (use sqlite:// or postgres://)")]
    UnsupportedUrl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database, whichever backend.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// A connection per writer of the dispatcher (one on SQLite), each held by its writer for
    /// as long as it runs, and one for the dispatcher's claims and lease renewals. Writes
    /// queue in the writers instead of waiting on each other in the database (on SQLite,
    /// sleeping in the busy handler), and their statements stay prepared.
    writes: AnyPool,
    backend: Backend,
    writers: usize,
}

impl Store {
    /// Connect (creating a SQLite file if needed) and apply migrations. `writers`: how many
    /// writers an instance runs on PostgreSQL (`None`: the default; SQLite always has one).
    pub async fn connect(url: &str, writers: Option<usize>) -> Result<Self, StoreError> {
        let store = Self::open(url, writers).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connect without touching the schema (see `schema` for applying and checking it).
    pub async fn open(url: &str, writers: Option<usize>) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let max = if backend == Backend::Sqlite { 4 } else { 10 };
        let pool = pool_options(backend, max, Plans::Cached)
            .connect(&url)
            .await
            .map_err(StoreError::Connect)?;
        if backend == Backend::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        let writers = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => writers.unwrap_or(POSTGRES_WRITERS).max(1),
        };
        let writes = pool_options(backend, writers as u32 + 1, Plans::ByIndex)
            .connect(&url)
            .await
            .map_err(StoreError::Connect)?;
        Ok(Self {
            pool,
            writes,
            backend,
            writers,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many writers an instance runs (see `fanout`), each with a write connection.
    pub fn writers(&self) -> usize {
        self.writers
    }

    /// A connection for a writer to hold while it runs (see `record`).
    pub async fn write_connection(&self) -> Result<WriteConnection, StoreError> {
        Ok(WriteConnection(self.writes.acquire().await?))
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.pool.execute("SELECT 1").await?;
        Ok(())
    }
}

/// A connection of the write pool held by one writer. Lent for each batch instead, it was
/// tested before each loan and after each return, two round trips (on SQLite, two hand-offs to
/// its thread) per batch besides the batch's own. Drop it after an error: the pool then tests
/// it and closes it if broken.
pub struct WriteConnection(sqlx::pool::PoolConnection<sqlx::Any>);

impl WriteConnection {
    /// On SQLite with the write lock taken at once (`BEGIN IMMEDIATE`): a batch reads its
    /// applications before its first write, and a snapshot read before another connection's
    /// commit could not be written on (`SQLITE_BUSY_SNAPSHOT`).
    async fn begin(
        &mut self,
        backend: Backend,
    ) -> Result<sqlx::Transaction<'_, sqlx::Any>, sqlx::Error> {
        match backend {
            Backend::Sqlite => self.0.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.0.begin().await,
        }
    }
}

/// Writers per instance on PostgreSQL unless `database.writers` says otherwise (round 5 of
/// `docs/performance-log.md`); SQLite lets one writer in at a time, PostgreSQL runs writers on
/// separate rows in parallel. Two, not four, since
/// dependents start before the answers that release them are stored (`fanout::Flight`):
/// answers then come in spread out rather than a stage at a time, and four writers each stored
/// smaller batches, more transactions for the same work.
const POSTGRES_WRITERS: usize = 2;

/// How PostgreSQL plans a pool's prepared statements.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plans {
    /// PostgreSQL's default: after five executions it may keep one generic plan.
    Cached,
    /// The same, but with sequential scans priced out (`enable_seqscan = off`), so that every
    /// plan, generic ones included, reads by index. For the writers and the claim: each of
    /// their statements finds its rows by key (an id, an application, what is due), and their
    /// connections live as long as the instance. A generic plan made in the first seconds of
    /// a fresh database, when `sub_requests` was a page, read it by sequential scan ever after
    /// (until autovacuum analysed the table, a minute or more later), a whole table for every
    /// batch. Planning every execution afresh (`plan_cache_mode = force_custom_plan`, the fix
    /// until this) avoided that too, but planning was then a large share of PostgreSQL's work;
    /// cached plans (all but that of storing the outcomes, see `record::store_outcomes`) cost
    /// less and keep up with a higher rate (`docs/performance-log.md`, round 7).
    ByIndex,
}

fn pool_options(backend: Backend, max: u32, plans: Plans) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        // A SQLite connection is a file in this process: there is nothing to ask whether it
        // is still there, and asking cost a round trip to its thread on every acquire.
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                } else if plans == Plans::ByIndex {
                    conn.execute("SET enable_seqscan = off").await?;
                }
                Ok(())
            })
        })
}

/// A PostgreSQL URL with its database name replaced by `name` (query parameters kept): a fresh
/// database for a test or a benchmark beside the administrative one.
pub fn with_database_name(admin: &str, name: &str) -> String {
    let (base, query) = admin
        .split_once('?')
        .map_or((admin, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(i) if i > base.find("://").map_or(0, |s| s + 2) => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Milliseconds since the Unix epoch, the unit of every stored time.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// An unguessable token (128 random bits, hex).
pub fn random_token() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A token as hard to guess as `random_token` (the same 128 random bits) that sorts by the
/// time it was made (twelve hex digits of milliseconds first). Callback tokens are a unique
/// index of every call: random ones put each new call's entry on a random page of it, a page
/// written to the log in every commit (on SQLite, a fifth of the log's pages); ordered ones
/// go to the index's last pages, as the calls' own ids do.
pub fn ordered_token() -> String {
    format!("{:012x}{}", now_ms().max(0), random_token())
}

/// Whether `token` has the shape of a callback token: hex, 44 digits (`ordered_token`) or 32
/// (`random_token`, as they were made before). Nothing else is looked up.
pub fn is_callback_token(token: &str) -> bool {
    matches!(token.len(), 32 | 44) && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An application's id as stored in `column` of `row`.
fn application_id(row: &sqlx::any::AnyRow, column: &str) -> Result<ApplicationId, StoreError> {
    use sqlx::Row;
    let text: String = row.try_get(column)?;
    ApplicationId::parse(&text).ok_or_else(|| StoreError::Corrupt(format!("application id {text}")))
}

fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

fn parse_json(text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests;
