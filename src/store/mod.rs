//! Storage of applications and their sub-requests through sqlx: SQLite by default (one file,
//! created on first run), PostgreSQL when the database URL says so. Migrations run at start.
//!
//! The sub-requests table is also the fan-out queue (claims are leases). Queries are plain SQL
//! that both backends accept; JSON and times are stored as text and integer milliseconds. This
//! module knows nothing about registries or HTTP.

mod advance;
mod applications;
mod claim;
mod history;
mod insert;
mod nodelay;
mod outside;
mod record;
mod sql;
mod submissions;

pub use applications::{ApplicationRecord, NewApplication, NewCall, SubRequestRecord};
pub use claim::{CallContext, Claim, Take};
pub use history::HistoryEntry;
pub use outside::{RetryResult, TokenTarget};

pub use crate::lifecycle::{Answer, ApplicationStatus, Completion, Finish, SubKind, SubStatus};
pub use record::Recorded;
pub use submissions::SubmissionKey;

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
        let port = postgres_port(&url);
        let pool = pool_options(backend, max, port, Plans::Cached)
            .connect(&url)
            .await
            .map_err(StoreError::Connect)?;
        if backend == Backend::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL").await?;
            sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        } else {
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
        }
        let writers = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => writers.unwrap_or(POSTGRES_WRITERS).max(1),
        };
        let writes = pool_options(backend, writers as u32 + 1, port, Plans::ByIndex)
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
/// smaller batches, more transactions for the same work (at 500 applications per second,
/// 1.7–1.9 ms of server CPU an application instead of 1.4, and the rate not kept up).
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
    /// (until autovacuum analysed the table, a minute or more later): each `UPDATE … WHERE id
    /// IN (…)` of eight calls scanned 25,000 rows, 20–30 ms a batch at 450 applications per
    /// second. Planning every execution afresh (`plan_cache_mode = force_custom_plan`, the
    /// fix until this) avoided that too, but planning was a fifth of PostgreSQL's work
    /// (0.1–0.15 ms a statement, 0.8 ms an application); with cached plans (all but that of
    /// storing the outcomes, see `queue::store_outcomes`) PostgreSQL spends 10 % less CPU and
    /// keeps up with 450 applications per second where it did not (`docs/performance-log.md`,
    /// round 7).
    ByIndex,
}

fn pool_options(
    backend: Backend,
    max: u32,
    postgres_port: Option<u16>,
    plans: Plans,
) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        // A SQLite connection is a file in this process: there is nothing to ask whether it
        // is still there, and asking cost a round trip to its thread on every acquire.
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if let Some(port) = postgres_port {
                    nodelay::set_on_sockets_to(port);
                }
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

/// The TCP port of a PostgreSQL URL (5432 unless given); `None` for SQLite or a Unix socket.
fn postgres_port(url: &str) -> Option<u16> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    if url.contains("host=/") {
        return None;
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    match host_port.rsplit_once(':') {
        Some((_, port)) if !port.ends_with(']') => port.parse().ok(),
        _ => Some(5432),
    }
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

fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

fn parse_json(text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::{Store, postgres_port, with_database_name};
    use sqlx::{Connection, Row};

    #[test]
    fn callback_tokens_sort_by_time_and_keep_128_random_bits() {
        let first = super::ordered_token();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let (second, third) = (super::ordered_token(), super::ordered_token());
        assert!(first < second, "{first} then {second}");
        assert_eq!(second.len(), 44);
        // The same millisecond prefix, different random parts.
        assert_eq!(second[..12], third[..12]);
        assert_ne!(second[12..], third[12..]);
        for token in [&first, &second, &super::random_token()] {
            assert!(super::is_callback_token(token), "{token}");
        }
        for token in [
            "",
            "xyz",
            &first[..40],
            &format!("{first}0"),
            &first.replace('0', "g"),
        ] {
            assert!(!super::is_callback_token(token), "{token}");
        }
    }

    #[test]
    fn the_postgres_port_is_read_from_the_url() {
        assert_eq!(postgres_port("postgres://u@127.0.0.1:5433/db"), Some(5433));
        assert_eq!(
            postgres_port("postgresql://u:p@db.example/db?x=1"),
            Some(5432)
        );
        assert_eq!(postgres_port("postgres://u@[::1]/db"), Some(5432));
        assert_eq!(postgres_port("postgres://u@[::1]:6000/db"), Some(6000));
        assert_eq!(
            postgres_port("postgres://u@localhost/db?host=/run/postgresql"),
            None
        );
        assert_eq!(postgres_port("sqlite://onestop.db"), None);
    }

    /// On PostgreSQL the writers' plans read by index, cached ones included, even while a
    /// table is a page, where a plan may as well read it through; the other connections keep
    /// PostgreSQL's defaults and fall into that trap (see `Plans`).
    #[tokio::test]
    async fn postgres_writers_plans_read_by_index_even_on_a_tiny_table() {
        let Some(admin) = std::env::var("ONESTOP_TEST_DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty())
        else {
            let skip = std::env::var("ONESTOP_SKIP_POSTGRES").is_ok_and(|v| v == "1");
            assert!(
                skip && std::env::var("CI").is_err(),
                "ONESTOP_TEST_DATABASE_URL is not set (ONESTOP_SKIP_POSTGRES=1 skips outside CI)"
            );
            return;
        };
        sqlx::any::install_default_drivers();
        let name = format!("onestop_unit_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::AnyConnection::connect(&admin).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create the database");
        let store = Store::connect(&with_database_name(&admin, &name), None)
            .await
            .expect("store");
        let mut writer = store.write_connection().await.expect("write connection");
        let mut reader = store.pool.acquire().await.expect("read connection");
        let generic_plan = async |conn: &mut sqlx::AnyConnection| -> String {
            let mut tx = conn.begin().await.expect("begin");
            // A table of one row, with statistics that say so (as in a fresh database's
            // first seconds): reading it through is cheaper than by its key.
            for sql in [
                "INSERT INTO submission_keys (key, request_hash, created_at) VALUES ('k', 'h', 0)",
                "ANALYZE submission_keys",
                "SET LOCAL plan_cache_mode = force_generic_plan",
                "PREPARE probe (text, text) AS UPDATE submission_keys SET created_at = 1 WHERE key IN ($1, $2)",
            ] {
                sqlx::raw_sql(sql).execute(&mut *tx).await.expect(sql);
            }
            let explain = sqlx::raw_sql("EXPLAIN EXECUTE probe ('a', 'b')");
            let rows = explain.fetch_all(&mut *tx).await.expect("explain");
            let plan: Vec<String> = rows
                .iter()
                .map(|row| row.try_get::<String, _>(0).expect("a line"))
                .collect();
            tx.rollback().await.expect("rollback");
            sqlx::raw_sql("DEALLOCATE probe")
                .execute(&mut *conn)
                .await
                .ok();
            plan.join("\n")
        };
        let plan = generic_plan(&mut writer.0).await;
        assert!(plan.contains("submission_keys_pkey"), "{plan}");
        assert!(!plan.contains("Seq Scan"), "{plan}");
        let plan = generic_plan(&mut reader).await;
        assert!(
            plan.contains("Seq Scan"),
            "the trap the writers avoid: {plan}"
        );
    }

    /// SQLite's fifth migration rebuilds `sub_requests` and `status_history` (to drop an index
    /// and `AUTOINCREMENT`, which SQLite cannot drop in place): a database made before it keeps
    /// every row and id, the history numbers on from its largest id, and the call's key is
    /// still unique through `(application_id, service_id, item)`.
    #[tokio::test]
    async fn sqlite_rebuilt_tables_keep_their_rows_and_ids() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
        sqlx::any::install_default_drivers();
        let old = sqlx::AnyPool::connect(&url).await.expect("connect");
        sqlx::migrate!("migrations/sqlite")
            .run_to(20261121000004, &old)
            .await
            .expect("the migrations before the rebuild");
        for sql in [
            "INSERT INTO applications (id, bundle_id, bundle_version, status, data, services, verify_code, created_at, updated_at)
             VALUES ('a1', 'birth', 1, 'in_progress', '{}', '[]', 'V1', 1, 1)",
            "INSERT INTO sub_requests (id, application_id, service_id, item, position, status, depends_on, attempts, next_attempt_at, idempotency_key, updated_at, kind, failures, callback_token, poll_url, deadline, claimed_by, outputs)
             VALUES ('s1', 'a1', 'tax.rnokpp-assignment', 0, 2, 'awaiting', '[\"civil.birth-registration\"]', 3, 5, 'a1:tax.rnokpp-assignment:0', 4, 'service', 1, 'tok', 'http://r/poll', 99, 'i1', '{\"x\":1}')",
            "INSERT INTO status_history (id, application_id, service_id, status, detail, at) VALUES (7, 'a1', NULL, 'in_progress', NULL, 1)",
            "INSERT INTO status_history (id, application_id, service_id, status, detail, at) VALUES (9, 'a1', 'tax.rnokpp-assignment', 'awaiting', 'd', 2)",
        ] {
            sqlx::raw_sql(sql).execute(&old).await.expect(sql);
        }
        old.close().await;

        let store = Store::connect(&url, None)
            .await
            .expect("the rest of the migrations");
        // One text per question (SQLite's JSON functions), to compare whole.
        let ask = async |sql: &str| -> String {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
            let row = row.fetch_one(&store.pool).await.expect(sql);
            row.try_get(0).expect(sql)
        };
        let call = ask(
            "SELECT json_array(application_id, service_id, item, position, status, depends_on, attempts, next_attempt_at, idempotency_key, updated_at, kind, failures, callback_token, poll_url, deadline, claimed_by, outputs) FROM sub_requests WHERE id = 's1'",
        );
        assert_eq!(
            call.await,
            r#"["a1","tax.rnokpp-assignment",0,2,"awaiting","[\"civil.birth-registration\"]",3,5,"a1:tax.rnokpp-assignment:0",4,"service",1,"tok","http://r/poll",99,"i1","{\"x\":1}"]"#
        );

        let mut conn = store.pool.acquire().await.expect("connection");
        super::history::history(&mut conn, "a1", None, "completed", None, 3)
            .await
            .expect("a new transition");
        drop(conn);
        let ids = "SELECT json_group_array(id) FROM (SELECT id FROM status_history ORDER BY id)";
        assert_eq!(ask(ids).await, "[7,9,10]");

        let indexes = "SELECT json_group_array(name) FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sub_requests' ORDER BY name)";
        assert_eq!(
            ask(indexes).await,
            r#"["sqlite_autoindex_sub_requests_1","sqlite_autoindex_sub_requests_2","sub_requests_by_callback_token","sub_requests_due"]"#,
            "the key, (application_id, service_id, item) and the two indexes made by name"
        );
        let same_call = "INSERT INTO sub_requests (id, application_id, service_id, item, position, status, depends_on, next_attempt_at, idempotency_key, updated_at)
             VALUES ('s2', 'a1', 'tax.rnokpp-assignment', 0, 2, 'ready', '[]', 0, 'other', 0)";
        let duplicate = sqlx::raw_sql(same_call).execute(&store.pool).await;
        assert!(duplicate.is_err(), "one call per service and item");
        let schema = ask("SELECT group_concat(sql, ';') FROM sqlite_master").await;
        assert!(!schema.contains("AUTOINCREMENT"), "{schema}");
    }

    /// On SQLite a poll that finds nothing due does not wait for the database's write lock
    /// (see `Store::claim`): with another connection holding it, the claim answers at once,
    /// not after the busy timeout (10 s).
    #[tokio::test]
    async fn a_sqlite_claim_with_nothing_due_does_not_wait_for_the_write_lock() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("claim.db").display());
        let store = Store::connect(&url, None).await.expect("store");
        let mut other = sqlx::AnyConnection::connect(&url).await.expect("connect");
        sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .expect("lock");
        let claim = store.claim(8, 60_000, "test");
        let claimed = tokio::time::timeout(std::time::Duration::from_secs(5), claim).await;
        let claimed = claimed.expect("answered without waiting for the lock");
        assert!(claimed.expect("claimed").is_empty());
    }
}
