//! Storing accepted applications with all their sub-requests, in the writer's transaction,
//! their first calls claimed at once when the writer has room.

use super::applications::{NewApplication, NewCall, SubRequestRecord};
use super::claim::{CallContext, Claim, Take};
use super::history::Change;
use super::sql::{Ty, batch, bind_null_rows, bucket, typed_values};
use super::{ApplicationStatus, StoreError, SubKind, SubStatus, json_text};
use crate::lifecycle::CallWork;
use Ty::{Int as I, Text as T};
use std::sync::Arc;

/// Rows per multi-row `INSERT` (at most 16 parameters each, well under either backend's limit).
const ROWS_PER_INSERT: usize = 64;

/// The types of a new application row, in the order of its `INSERT`: id, bundle, version,
/// status, data, services, verify code, time, submitted by, institution, access hash, stage,
/// attention time.
const APPLICATION_ROW: [Ty; 14] = [T, T, I, T, T, T, T, I, T, T, T, T, I, T];

/// The types of a new sub-request row, in the order of its `INSERT`: id, application,
/// service, item, position, status, dependencies, attempts, next attempt, idempotency key,
/// time, kind, callback token, deadline, lease end, claimed by, attention time.
const CALL_ROW: [Ty; 17] = [T, T, T, I, I, T, T, I, I, T, I, T, T, I, I, T, I];

/// Store new applications in a transaction: one multi-row `INSERT` for the applications and
/// one for their sub-requests (per `ROWS_PER_INSERT`), however many there are. The history
/// gets each application's `in_progress`; a call's first status is its row's, and its history
/// starts with its first change. With `take`, their first calls are claimed at once (within
/// the take's limit, which is lowered by as many) and returned ready to send.
pub(super) async fn insert_applications(
    tx: &mut sqlx::AnyConnection,
    news: &[&NewApplication],
    now: i64,
    take: Option<&mut Take<'_>>,
    history: &mut Vec<Change>,
) -> Result<Vec<Claim>, StoreError> {
    let rows = call_rows(news, now, take, history);
    insert_rows(tx, news, &rows, now).await?;
    insert_calls(tx, &rows, now).await?;
    super::findable::insert(tx, news).await?;
    for new in news {
        if let Some((key, response)) = &new.submission_key {
            super::submissions::record_answer(tx, key, new.id.as_str(), response).await?;
        }
    }
    Ok(first_claims(news, &rows))
}

/// A new call with its application and place in it, and its row.
type NewRow<'a> = (&'a NewApplication, &'a NewCall, usize, CallRow);

/// The applications' own rows, each with its stage in the work list as its calls start.
async fn insert_rows(
    tx: &mut sqlx::AnyConnection,
    news: &[&NewApplication],
    rows: &[NewRow<'_>],
    now: i64,
) -> Result<(), StoreError> {
    for chunk in news.chunks(ROWS_PER_INSERT) {
        let size = bucket(chunk.len());
        let sql = format!(
            "INSERT INTO applications (id, bundle_id, bundle_version, status, data, services, verify_code,
                created_at, updated_at, submitted_by, institution, access_hash, stage, attention_at,
                request_id)
             SELECT column1, column2, column3, column4, column5, column6, column7, column8, column8,
                column9, column10, column11, column12, column13, column14
             FROM (VALUES {}) AS v WHERE column1 IS NOT NULL",
            typed_values(&APPLICATION_ROW, size, 1)
        );
        let mut query = batch(&*tx, sql);
        for new in chunk {
            let mut services: Vec<&str> = new
                .calls
                .iter()
                .filter(|c| c.kind == SubKind::Service)
                .map(|c| c.service.as_str())
                .collect();
            services.dedup();
            query = query
                .bind(new.id.as_str())
                .bind(new.bundle_id.as_str())
                .bind(i64::from(new.bundle_version))
                .bind(ApplicationStatus::InProgress.as_str())
                .bind(json_text(&new.data))
                .bind(json_text(&serde_json::json!(services)))
                .bind(new.verify_code.as_str())
                .bind(new.received_at.min(now))
                .bind(new.origin.submitted_by.clone())
                .bind(new.origin.institution.clone())
                .bind(new.origin.access_hash.clone());
            let calls: Vec<CallWork> = (rows.iter())
                .filter(|(n, ..)| n.id == new.id)
                .map(|(_, call, _, row)| CallWork {
                    kind: call.kind,
                    status: row.record.status,
                    attention_at: row.attention_at,
                })
                .collect();
            let (stage, attention_at) = crate::lifecycle::work(&calls);
            query = (query.bind(stage.as_str()).bind(attention_at)).bind(new.request_id.clone());
        }
        bind_null_rows(query, &APPLICATION_ROW, size - chunk.len())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// The rows of the applications' calls, each starting where the lifecycle says, those the
/// taker has room for claimed; each application's `in_progress` in the history.
fn call_rows<'a>(
    news: &[&'a NewApplication],
    now: i64,
    mut take: Option<&mut Take<'_>>,
    history: &mut Vec<Change>,
) -> Vec<NewRow<'a>> {
    let mut rows: Vec<NewRow<'a>> = Vec::new();
    for new in news {
        history.push(Change::of(
            new.id.as_str(),
            None,
            ApplicationStatus::InProgress.as_str(),
        ));
        for (position, call) in new.calls.iter().enumerate() {
            let first = call.kind.first_status(!call.depends_on.is_empty());
            // A first call to an unavailable registry waits, parked, for it to be back.
            let parked = (take.as_deref())
                .filter(|t| first == SubStatus::Ready && t.parked.holds(call.service.as_str()))
                .map(|t| t.parked.until);
            let taker = (take.as_deref_mut())
                .filter(|t| first == SubStatus::Ready && t.limit > 0 && parked.is_none());
            let claimed = taker.map(|t| {
                t.limit -= 1;
                (now + t.lease_ms, t.instance.to_owned())
            });
            let mut row = CallRow::new(new, call, first, claimed, now);
            row.next_attempt_at = parked.or(call.deadline).unwrap_or(now);
            rows.push((new, call, position, row));
        }
    }
    rows
}

/// The calls' rows.
async fn insert_calls(
    tx: &mut sqlx::AnyConnection,
    rows: &[NewRow<'_>],
    now: i64,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let size = bucket(chunk.len());
        let sql = format!(
            "INSERT INTO sub_requests (id, application_id, service_id, item, position, status, depends_on, attempts, next_attempt_at, idempotency_key, updated_at, kind, callback_token, deadline, locked_until, claimed_by, attention_at)
             SELECT column1, column2, column3, column4, column5, column6, column7, column8, column9, column10, column11, column12, column13, column14, column15, column16, column17
             FROM (VALUES {}) AS v WHERE column1 IS NOT NULL",
            typed_values(&CALL_ROW, size, 1)
        );
        let mut query = batch(&*tx, sql);
        for (new, call, position, row) in chunk {
            query = query
                .bind(row.record.id.as_str())
                .bind(new.id.as_str())
                .bind(call.service.as_str())
                .bind(call.item)
                .bind(*position as i64)
                .bind(row.record.status.as_str())
                .bind(json_text(&serde_json::json!(call.depends_on)))
                .bind(row.record.attempts)
                .bind(row.next_attempt_at)
                .bind(row.record.idempotency_key.as_str())
                .bind(now)
                .bind(call.kind.as_str())
                .bind(row.record.callback_token.as_deref())
                .bind(call.deadline)
                .bind(row.claimed.as_ref().map(|c| c.0))
                .bind(row.claimed.as_ref().map(|c| c.1.as_str()))
                .bind(row.attention_at);
        }
        bind_null_rows(query, &CALL_ROW, size - chunk.len())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// A sub-request row about to be stored, and its claim if it was taken.
struct CallRow {
    record: SubRequestRecord,
    /// Lease end and instance.
    claimed: Option<(i64, String)>,
    /// When it is due: now, at its deadline (a person's step), or parked.
    next_attempt_at: i64,
    /// When it needs attention if it is still open (a person's step past half its time).
    attention_at: Option<i64>,
}

impl CallRow {
    fn new(
        new: &NewApplication,
        call: &NewCall,
        first: SubStatus,
        claimed: Option<(i64, String)>,
        now: i64,
    ) -> Self {
        let (status, attempts) = match claimed {
            Some(_) => (SubStatus::Running, 1),
            None => (first, 0),
        };
        Self {
            record: SubRequestRecord {
                id: uuid::Uuid::now_v7().to_string(),
                service_id: call.service.clone(),
                item: call.item,
                status,
                depends_on: call.depends_on.clone(),
                attempts,
                outputs: None,
                error: None,
                updated_at: now,
                kind: call.kind,
                callback_token: Some(super::ordered_token()),
                deadline: call.deadline,
                idempotency_key: format!("{}:{}:{}", new.id, call.service, call.item),
                failures: 0,
            },
            claimed,
            next_attempt_at: call.deadline.unwrap_or(now),
            attention_at: (call.deadline)
                .filter(|_| call.kind == SubKind::Human)
                .map(|deadline| crate::lifecycle::step_attention_at(now, deadline)),
        }
    }
}

/// The claims of the calls taken as new applications were stored, each with its
/// application's data and siblings (nothing has outputs yet).
fn first_claims(news: &[&NewApplication], rows: &[NewRow<'_>]) -> Vec<Claim> {
    let mut claims = Vec::new();
    for new in news {
        let mine: Vec<&CallRow> = rows
            .iter()
            .filter(|(n, ..)| n.id == new.id)
            .map(|(.., row)| row)
            .collect();
        if mine.iter().all(|row| row.claimed.is_none()) {
            continue;
        }
        let context = Arc::new(CallContext {
            bundle_id: new.bundle_id.clone(),
            bundle_version: i64::from(new.bundle_version),
            data: new.data.clone(),
            siblings: mine.iter().map(|row| row.record.clone()).collect(),
            acting: super::claim::acting(
                new.origin.institution.as_deref(),
                new.origin.submitted_by.as_deref(),
            ),
            request_id: new.request_id.as_deref().map(Arc::from),
        });
        for row in mine {
            let Some((locked_until, _)) = &row.claimed else {
                continue;
            };
            claims.push(Claim {
                id: row.record.id.clone(),
                application_id: new.id.clone(),
                service_id: row.record.service_id.clone(),
                item: row.record.item,
                kind: row.record.kind,
                attempts: 1,
                failures: 0,
                failing_since: None,
                idempotency_key: row.record.idempotency_key.clone(),
                callback_token: row.record.callback_token.clone(),
                poll_url: None,
                deadline: row.record.deadline,
                locked_until: *locked_until,
                context: Some(context.clone()),
            });
        }
    }
    claims
}
