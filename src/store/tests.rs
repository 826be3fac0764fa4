//! The store's own tests: tokens, URLs, PostgreSQL's plans, SQLite's rebuilt tables and its
//! claim without the write lock.

use super::{Store, with_database_name};
use sqlx::{Connection, Row};

#[test]
fn callback_tokens_sort_by_time_and_keep_128_random_bits() {
    let first = super::ordered_token();
    std::thread::sleep(std::time::Duration::from_millis(2));
    // Two tokens of one millisecond: the same prefix, different random parts (a pair made
    // across a millisecond's end is made again).
    let (second, third) = (0..100)
        .map(|_| (super::ordered_token(), super::ordered_token()))
        .find(|(a, b)| a[..12] == b[..12])
        .expect("two tokens within one millisecond");
    assert!(first < second, "{first} then {second}");
    assert_eq!(second.len(), 44);
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
    let claim = store.claim(8, 60_000, "test", super::Services::Except(&[]));
    let claimed = tokio::time::timeout(std::time::Duration::from_secs(5), claim).await;
    let claimed = claimed.expect("answered without waiting for the lock");
    assert!(claimed.expect("claimed").is_empty());
}

/// An unavailable registry's calls are parked (`ready`, due far ahead): claims leave them
/// out, its probe takes one though none is due (or no probe would ever go out), and the
/// circuit's close lets the rest go at once.
#[tokio::test]
async fn a_probe_takes_a_parked_call_and_the_close_lets_the_others_go() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("parked.db").display());
    let store = Store::connect(&url, None).await.expect("store");
    let now = super::now_ms();
    let parked = now + 600_000;
    let application = "INSERT INTO applications (id, bundle_id, bundle_version, status, data, services, verify_code, created_at, updated_at)
         VALUES ('01a2425f-078f-732f-a2e4-554354c28bab', 'birth', 1, 'in_progress', '{}', '[]', 'V1', 1, 1)";
    sqlx::raw_sql(application)
        .execute(&store.pool)
        .await
        .expect(application);
    for (id, service, item, at) in [
        ("t1", "tax.rnokpp-assignment", 0, parked),
        ("t2", "tax.rnokpp-assignment", 1, parked + 1),
        ("u1", "migration.unzr-entry", 0, now - 1),
    ] {
        let sql = "INSERT INTO sub_requests (id, application_id, service_id, item, position, status, depends_on, attempts, next_attempt_at, idempotency_key, updated_at, kind)
             VALUES ($1, '01a2425f-078f-732f-a2e4-554354c28bab', $2, $3, 0, 'ready', '[]', 0, $4, $1, 1, 'service')";
        let insert = sqlx::query(sql).bind(id).bind(service).bind(item).bind(at);
        insert.execute(&store.pool).await.expect("a call");
    }
    let tax = ["tax.rnokpp-assignment"];
    let ids =
        |claims: Vec<super::Claim>| -> Vec<String> { claims.into_iter().map(|c| c.id).collect() };
    let claim = |services| store.claim(8, 60_000, "test", services);
    let due = claim(super::Services::Except(&tax)).await.expect("claim");
    assert_eq!(ids(due), ["u1"], "the parked calls are left out");
    let due = claim(super::Services::Except(&[])).await.expect("claim");
    assert!(due.is_empty(), "and are not due: {:?}", ids(due));

    let probe = store.claim(1, 60_000, "test", super::Services::Probe(&tax));
    assert_eq!(ids(probe.await.expect("probe")), ["t1"], "the oldest");
    store.unpark(&tax, super::now_ms()).await.expect("unpark");
    let due = claim(super::Services::Except(&[])).await.expect("claim");
    assert_eq!(ids(due), ["t2"], "let go when the registry is back");
}
