//! Claiming due work under a lease: what a dispatcher holds while it calls a registry, and
//! what it needs to build the call's request.

use super::applications::{SubRequestRecord, sub_request_from_row};
use super::{Backend, Store, StoreError, SubKind, SubStatus, now_ms, parse_json};
use crate::lifecycle::ApplicationId;
use crate::lifecycle::CallKey;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A sub-request this instance holds a lease on.
#[derive(Debug, Clone)]
pub struct Claim {
    pub id: String,
    pub application_id: ApplicationId,
    pub service_id: String,
    pub item: i64,
    pub kind: SubKind,
    /// Claims so far, this one included; it fences the completion against a lost lease.
    pub attempts: i64,
    /// Retriable failures in a row (reset when the registry accepts the call).
    pub failures: i64,
    /// When its current run of retriable failures began (`None`: not failing).
    pub failing_since: Option<i64>,
    pub idempotency_key: String,
    pub callback_token: Option<String>,
    /// Where to ask for the result of a call the registry accepted (202).
    pub poll_url: Option<String>,
    /// When waiting for a registry or a person ends in failure.
    pub deadline: Option<i64>,
    pub locked_until: i64,
    /// What the call's request needs, when it was read in the transaction that claimed it
    /// (otherwise the dispatcher reads it).
    pub context: Option<Arc<CallContext>>,
}

/// The application data and sibling sub-requests a call's request is built from.
#[derive(Debug)]
pub struct CallContext {
    pub bundle_id: String,
    /// The bundle version the application was submitted with: what its calls are built by.
    pub bundle_version: i64,
    /// Shared by every call of the application this instance holds (a birth form is a few
    /// kilobytes of JSON objects, too many to clone for each released call).
    pub data: Arc<Value>,
    pub siblings: Vec<SubRequestRecord>,
    /// Who the calls act for (`acting`).
    pub acting: Arc<str>,
    /// The id of the request that submitted the application, for the calls' log lines and
    /// the registries (`None` for applications older than it).
    pub request_id: Option<Arc<str>>,
}

/// Who an application's calls act for, as registries are told: the staff member who submitted
/// it, else the institution it was submitted at (a machine client's), else `citizen` (online).
pub fn acting(institution: Option<&str>, submitted_by: Option<&str>) -> Arc<str> {
    let staff = submitted_by.filter(|by| !by.starts_with("token:"));
    Arc::from(staff.or(institution).unwrap_or("citizen"))
}

impl CallContext {
    pub fn acting(&self) -> &str {
        &self.acting
    }
}

impl Claim {
    /// The call's key within its application.
    pub fn key(&self) -> CallKey {
        CallKey::new(self.service_id.as_str(), self.item)
    }
}

const CLAIM_RETURNING: &str = "RETURNING id, application_id, service_id, item, kind, attempts, failures, failing_since, idempotency_key, callback_token, poll_url, deadline, locked_until";

/// What is due at `$1` (now): ready or awaiting work whose time has come, and running work
/// whose lease has expired. The claim and the look before it (SQLite) share it. Its first
/// term is the predicate of the partial index `sub_requests_due`, written out so that SQLite,
/// which does not infer it from the terms after it, reads by that index.
const DUE: &str = "status IN ('ready', 'awaiting', 'running')
           AND ((status IN ('ready', 'awaiting') AND next_attempt_at <= $1)
                OR (status = 'running' AND locked_until < $1))";

/// The calls of a probe: those of the unavailable registry's services that are due, or
/// `ready` and parked until the registry is back (`Parked`) — with nothing due, the probe takes
/// a parked call, or none would ever go out and the circuit would never close.
const PROBE: &str = "status IN ('ready', 'awaiting', 'running')
           AND (status = 'ready'
                OR (status = 'awaiting' AND next_attempt_at <= $1)
                OR (status = 'running' AND locked_until < $1))";

/// Which calls a claim may take: the due calls of all services but some (those of registries
/// that are unavailable or busy), or a probe's of some (an unavailable registry's).
#[derive(Debug, Clone, Copy)]
pub enum Services<'a> {
    Except(&'a [&'a str]),
    Probe(&'a [&'a str]),
}

impl Services<'_> {
    /// The condition on the calls, its parameters from `$1` (now) and for the services from
    /// `from`.
    fn condition(&self, from: usize) -> String {
        let (list, not, which) = match self {
            Self::Except([]) => return DUE.to_owned(),
            Self::Except(list) => (list, " NOT", DUE),
            Self::Probe(list) => (list, "", PROBE),
        };
        let marks: Vec<String> = (0..list.len().max(1))
            .map(|n| format!("${}", from + n))
            .collect();
        format!("{which} AND service_id{not} IN ({})", marks.join(", "))
    }

    fn list(&self) -> &[&str] {
        match self {
            Self::Except(list) => list,
            // `IN ()` is no SQL: an empty list matches no service by an impossible id.
            Self::Probe([]) => &[""],
            Self::Probe(list) => list,
        }
    }
}

impl Store {
    /// Claim up to `limit` sub-requests of `services` that are due (or whose lease expired)
    /// for `lease_ms`, as `instance`.
    pub async fn claim(
        &self,
        limit: i64,
        lease_ms: i64,
        instance: &str,
        services: Services<'_>,
    ) -> Result<Vec<Claim>, StoreError> {
        let now = now_ms();
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        // On SQLite an `UPDATE` takes the database's one write lock even when it changes
        // nothing, and the writer, finding it taken, sleeps in the busy handler (1, 2, 5 ms…):
        // look first, with a read, which takes no lock. Under load, when the writers hand over
        // everything, nothing is due at most polls.
        if self.backend == Backend::Sqlite {
            let which = services.condition(2);
            let look = format!("SELECT 1 FROM sub_requests WHERE {which} LIMIT 1");
            let mut query = sqlx::query(sqlx::AssertSqlSafe(look)).bind(now);
            for service in services.list() {
                query = query.bind(*service);
            }
            let due = query.fetch_optional(&self.writes).await?;
            if due.is_none() {
                return Ok(Vec::new());
            }
        }
        let which = services.condition(5);
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE sub_requests
             SET status = 'running', locked_until = $2, attempts = attempts + 1, updated_at = $1, claimed_by = $4
             WHERE id IN (SELECT id FROM sub_requests WHERE {which}
                          ORDER BY next_attempt_at LIMIT $3{lock}) {CLAIM_RETURNING}"
        ));
        let mut query = sqlx::query(sql)
            .bind(now)
            .bind(now + lease_ms)
            .bind(limit)
            .bind(instance);
        for service in services.list() {
            query = query.bind(*service);
        }
        let rows = query.fetch_all(&self.writes).await?;
        rows.iter()
            .map(|row| {
                let mut claim = claim_from_row(row, now + lease_ms)?;
                claim.failing_since = row.try_get("failing_since")?;
                Ok(claim)
            })
            .collect()
    }

    /// Give back the claims `instance` holds (at a stop): their leases end now, so that any
    /// instance takes them at its next look instead of after the lease. How many.
    pub async fn release(&self, instance: &str) -> Result<u64, StoreError> {
        let ended = now_ms() - 1;
        let released = sqlx::query(
            "UPDATE sub_requests SET locked_until = $1
             WHERE status = 'running' AND claimed_by = $2 AND locked_until > $1",
        )
        .bind(ended)
        .bind(instance)
        .execute(&self.writes)
        .await?;
        Ok(released.rows_affected())
    }

    /// Extend a held lease to `until` (ms); false if it was lost meanwhile.
    pub async fn renew(&self, claim: &Claim, until: i64) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE sub_requests SET locked_until = $1 WHERE id = $2 AND status = 'running' AND attempts = $3",
        )
        .bind(until)
        .bind(&claim.id)
        .bind(claim.attempts)
        .execute(&self.writes)
        .await?;
        Ok(updated.rows_affected() == 1)
    }
}

/// A claim read back from a row of `CLAIM_RETURNING` (or more), leased until `locked_until`;
/// its `failing_since` is left out (a call released from waiting has never failed; the claim of
/// due work reads it).
pub(super) fn claim_from_row(row: &AnyRow, locked_until: i64) -> Result<Claim, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(Claim {
        id: row.try_get("id")?,
        application_id: super::application_id(row, "application_id")?,
        service_id: row.try_get("service_id")?,
        item: row.try_get("item")?,
        kind: SubKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(kind.clone()))?,
        attempts: row.try_get("attempts")?,
        failures: row.try_get("failures")?,
        failing_since: None,
        idempotency_key: row.try_get("idempotency_key")?,
        callback_token: row.try_get("callback_token")?,
        poll_url: row.try_get("poll_url")?,
        deadline: row.try_get("deadline")?,
        locked_until,
        context: None,
    })
}

/// Who takes the calls that recorded outcomes release, and how many at most.
#[derive(Debug, Clone, Copy)]
pub struct Take<'a> {
    pub instance: &'a str,
    pub lease_ms: i64,
    pub limit: usize,
    /// Calls the instance started before the outcomes that release them were stored (see
    /// `fanout::Flight`): taken when released, whatever the limit, and not returned as claims.
    pub started: &'a BTreeSet<&'a str>,
    /// Calls of unavailable registries: left `ready`, parked, when released.
    pub parked: Parked<'a>,
}

/// The services of the registries that are unavailable (as the taker last saw them): their
/// calls, when released or first stored, are left `ready` until `until` instead of taken, so
/// that nobody handles them until the registry is back (the circuit's close lets them go; see
/// `store::circuits`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Parked<'a> {
    pub services: &'a [&'a str],
    pub until: i64,
}

impl Parked<'_> {
    pub fn holds(&self, service: &str) -> bool {
        self.services.contains(&service)
    }
}

/// The locked applications by id.
pub(super) type Locked = BTreeMap<String, LockedApplication>;

/// What a locked application's calls are sent with: its bundle and data (as stored, JSON).
pub(super) struct LockedApplication {
    pub bundle_id: String,
    pub bundle_version: i64,
    pub data: String,
    pub acting: Arc<str>,
    pub request_id: Option<Arc<str>>,
}

/// Who takes the calls that outcomes release, and the data of their applications.
#[derive(Clone, Copy)]
pub(super) struct Taking<'a> {
    pub take: Take<'a>,
    pub applications: &'a Locked,
}

/// The rows `advance_many` read, with their settled statuses, by application.
pub(super) struct TakenRows<'a> {
    pub rows: &'a [AnyRow],
    pub statuses: &'a [SubStatus],
    pub by_application: &'a BTreeMap<String, Vec<usize>>,
}

impl TakenRows<'_> {
    /// The claims for the calls taken (rows `taken`, just claimed: one attempt more), each with
    /// what its request needs: its application's data and calls as they stand now.
    pub fn claims(
        &self,
        taken: &[usize],
        applications: &Locked,
        locked_until: i64,
        now: i64,
    ) -> Result<Vec<Claim>, StoreError> {
        let mut contexts: BTreeMap<ApplicationId, Arc<CallContext>> = BTreeMap::new();
        let mut claims = Vec::with_capacity(taken.len());
        for &n in taken {
            let mut claim = claim_from_row(&self.rows[n], locked_until)?;
            claim.attempts += 1;
            let context = match contexts.get(&claim.application_id) {
                Some(context) => context.clone(),
                None => {
                    let context =
                        Arc::new(self.context(claim.application_id.as_str(), applications, now)?);
                    contexts.insert(claim.application_id.clone(), context.clone());
                    context
                }
            };
            claim.context = Some(context);
            claims.push(claim);
        }
        Ok(claims)
    }

    fn context(
        &self,
        application: &str,
        applications: &Locked,
        now: i64,
    ) -> Result<CallContext, StoreError> {
        let locked = applications
            .get(application)
            .ok_or_else(|| StoreError::Corrupt(format!("application {application} not locked")))?;
        let members = self
            .by_application
            .get(application)
            .map_or(&[][..], Vec::as_slice);
        let mut siblings = Vec::with_capacity(members.len());
        for &n in members {
            let mut sibling = sub_request_from_row(&self.rows[n])?;
            if sibling.status != self.statuses[n] {
                sibling.status = self.statuses[n];
                sibling.updated_at = now;
                if sibling.status == SubStatus::Running {
                    sibling.attempts += 1;
                }
            }
            siblings.push(sibling);
        }
        Ok(CallContext {
            bundle_id: locked.bundle_id.clone(),
            bundle_version: locked.bundle_version,
            data: Arc::new(parse_json(&locked.data)?),
            siblings,
            acting: locked.acting.clone(),
            request_id: locked.request_id.clone(),
        })
    }
}
