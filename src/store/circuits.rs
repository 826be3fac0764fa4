//! Registry circuits as every instance sharing the database sees them (issue 21): a registry
//! that keeps failing is `open` — its calls are held and one probe at a time goes out — until a
//! call to it is answered. Each transition is a conditional write, so of several instances
//! exactly one opens, probes or closes a circuit, and only that one says so in the log.

use super::{Store, StoreError};
use sqlx::Row;

/// An unavailable registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCircuit {
    pub registry: String,
    /// When it became unavailable (ms).
    pub opened_at: i64,
    /// When the next probe may go (ms).
    pub probe_at: i64,
    /// The interval before `probe_at` (ms); it doubles with each probe, up to a cap.
    pub probe_interval_ms: i64,
}

/// How a circuit closed: how long it was open and how many probes went out meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    pub opened_at: i64,
    pub probes: i64,
}

impl Store {
    /// The registries unavailable now.
    pub async fn open_circuits(&self) -> Result<Vec<OpenCircuit>, StoreError> {
        let rows = sqlx::query(
            "SELECT registry, opened_at, probe_at, probe_interval_ms FROM registry_circuits WHERE state = 'open'",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OpenCircuit {
                    registry: row.try_get("registry")?,
                    opened_at: row.try_get("opened_at")?,
                    probe_at: row.try_get("probe_at")?,
                    probe_interval_ms: row.try_get("probe_interval_ms")?,
                })
            })
            .collect()
    }

    /// Mark `registry` unavailable at `now`, its first probe due after `first_probe_ms`; true
    /// when this call opened it (false: it was open already).
    pub async fn open_circuit(
        &self,
        registry: &str,
        now: i64,
        first_probe_ms: i64,
    ) -> Result<bool, StoreError> {
        let opened = sqlx::query(
            "INSERT INTO registry_circuits (registry, state, opened_at, probe_at, probe_interval_ms, probes, updated_at)
             VALUES ($1, 'open', $2, $3, $4, 0, $2)
             ON CONFLICT (registry) DO UPDATE SET state = 'open', opened_at = $2, probe_at = $3,
                 probe_interval_ms = $4, probes = 0, updated_at = $2
             WHERE registry_circuits.state <> 'open'",
        )
        .bind(registry)
        .bind(now)
        .bind(now + first_probe_ms)
        .bind(first_probe_ms)
        .execute(&self.writes)
        .await?;
        Ok(opened.rows_affected() == 1)
    }

    /// Take the probe of `circuit` that is due at `now` (as this instance last read it), the
    /// next one due `next_interval_ms` later (the interval grows); false when another instance
    /// took it first or the circuit closed meanwhile.
    pub async fn take_probe(
        &self,
        circuit: &OpenCircuit,
        now: i64,
        next_interval_ms: i64,
    ) -> Result<bool, StoreError> {
        let taken = sqlx::query(
            "UPDATE registry_circuits SET probe_at = $2, probe_interval_ms = $3, probes = probes + 1, updated_at = $4
             WHERE registry = $1 AND state = 'open' AND probe_at = $5 AND probe_at <= $4",
        )
        .bind(&circuit.registry)
        .bind(now + next_interval_ms)
        .bind(next_interval_ms)
        .bind(now)
        .bind(circuit.probe_at)
        .execute(&self.writes)
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Park the due calls of `services` (an unavailable registry's) until `until`: while it is
    /// unavailable, claims leave them out, and a due call left out is a row every claim reads
    /// past (with 30,000 held on PostgreSQL, a claim took over a second). The circuit's close
    /// lets them go; were that lost (the closing instance dying between its two statements),
    /// they would wait until `until`.
    pub async fn park(&self, services: &[&str], now: i64, until: i64) -> Result<(), StoreError> {
        self.move_ready(services, "next_attempt_at <= $1", until, now)
            .await
    }

    /// Let the parked calls of `services` (an available registry's again) go at `now`.
    pub async fn unpark(&self, services: &[&str], now: i64) -> Result<(), StoreError> {
        self.move_ready(services, "next_attempt_at > $1", now, now)
            .await
    }

    /// Set `next_attempt_at` to `to` for the ready calls of `services` that `condition` (on
    /// `$1`, `at`) picks.
    async fn move_ready(
        &self,
        services: &[&str],
        condition: &str,
        to: i64,
        at: i64,
    ) -> Result<(), StoreError> {
        if services.is_empty() {
            return Ok(());
        }
        let marks: Vec<String> = (0..services.len()).map(|n| format!("${}", n + 3)).collect();
        // The first term is the partial index's predicate (see `claim::DUE`).
        let sql = format!(
            "UPDATE sub_requests SET next_attempt_at = $2
             WHERE status IN ('ready', 'awaiting', 'running') AND status = 'ready' AND {condition}
               AND service_id IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at).bind(to);
        for service in services {
            query = query.bind(*service);
        }
        query.execute(&self.writes).await?;
        Ok(())
    }

    /// Mark `registry` available again and let its parked calls (`services`') go now; what the
    /// circuit was when this call closed it (`None`: it was not open).
    pub async fn close_circuit(
        &self,
        registry: &str,
        now: i64,
        services: &[&str],
    ) -> Result<Option<Closed>, StoreError> {
        let row = sqlx::query(
            "UPDATE registry_circuits SET state = 'closed', updated_at = $2
             WHERE registry = $1 AND state = 'open' RETURNING opened_at, probes",
        )
        .bind(registry)
        .bind(now)
        .fetch_optional(&self.writes)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        self.unpark(services, now).await?;
        Ok(Some(Closed {
            opened_at: row.try_get("opened_at")?,
            probes: row.try_get("probes")?,
        }))
    }
}

/// When a call that has not ended is tried next, and since when it has been failing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTiming {
    pub service_id: String,
    pub item: i64,
    pub next_attempt_at: i64,
    pub failing_since: Option<i64>,
}

impl Store {
    /// The timing of an application's calls that are ready or running (the status API's
    /// `waiting`), apart from the calls' records, which the fan-out reads far more often.
    pub async fn call_timings(
        &self,
        application: &crate::lifecycle::ApplicationId,
    ) -> Result<Vec<CallTiming>, StoreError> {
        let rows = sqlx::query(
            "SELECT service_id, item, next_attempt_at, failing_since FROM sub_requests
             WHERE application_id = $1 AND status IN ('ready', 'running')",
        )
        .bind(application.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CallTiming {
                    service_id: row.try_get("service_id")?,
                    item: row.try_get("item")?,
                    next_attempt_at: row.try_get("next_attempt_at")?,
                    failing_since: row.try_get("failing_since")?,
                })
            })
            .collect()
    }
}
