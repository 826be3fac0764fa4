//! Changes that come from outside the dispatcher: a registry's late answer (callback), a
//! person's decision on a human step, and an operator's retry of a failed sub-request.
//!
//! Each runs in one transaction that first locks the application, like a dispatcher's completion,
//! so the application's summary stays right whoever finishes last.

use super::advance::advance;
use super::history::history;
use super::{ApplicationStatus, Finish, Store, StoreError, SubKind, SubStatus, json_text, now_ms};
use crate::lifecycle::ApplicationId;
use crate::lifecycle::{self, Answer, CallKey, Event};
use serde_json::Value;
use sqlx::Row;

/// The sub-request a callback token opens.
#[derive(Debug, Clone)]
pub struct TokenTarget {
    pub id: String,
    pub application_id: ApplicationId,
    pub service_id: String,
    pub item: i64,
    pub kind: SubKind,
}

/// What an operator's retry did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryResult {
    /// This many failed sub-requests run again (and what was blocked behind them waits again).
    Retried(usize),
    /// The application has no such service.
    NotFound,
    /// The service has not failed (its status is given): there is nothing to retry.
    NotFailed(SubStatus),
}

async fn lock_application(
    tx: &mut sqlx::AnyConnection,
    application_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE applications SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(application_id)
        .execute(tx)
        .await?;
    Ok(())
}

impl Store {
    /// The sub-request behind a callback or confirmation token.
    pub async fn by_token(&self, token: &str) -> Result<Option<TokenTarget>, StoreError> {
        let row = sqlx::query(
            "SELECT id, application_id, service_id, item, kind FROM sub_requests WHERE callback_token = $1",
        )
        .bind(token)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let kind: String = row.try_get("kind")?;
            Ok(TokenTarget {
                id: row.try_get("id")?,
                application_id: super::application_id(&row, "application_id")?,
                service_id: row.try_get("service_id")?,
                item: row.try_get("item")?,
                kind: SubKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(kind.clone()))?,
            })
        })
        .transpose()
    }

    /// Finish a sub-request with an answer from outside; `via` names the source in the
    /// history. Repeating the same answer changes nothing.
    /// `audit`: its entry, appended in the same transaction when the answer changes something.
    pub async fn finish_from_outside(
        &self,
        target: &TokenTarget,
        answer: &Answer,
        via: &str,
        audit: &crate::audit::Entry,
    ) -> Result<Finish, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        lock_application(&mut tx, target.application_id.as_str(), now).await?;
        let row = sqlx::query("SELECT status, outputs FROM sub_requests WHERE id = $1")
            .bind(&target.id)
            .fetch_one(&mut *tx)
            .await?;
        let status: String = row.try_get("status")?;
        let status = SubStatus::parse(&status).ok_or(StoreError::Corrupt(status))?;
        let outputs: Option<String> = row.try_get("outputs")?;
        let outputs = outputs
            .as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok());
        let new_status =
            match lifecycle::answer_from_outside(target.kind, status, outputs.as_ref(), answer) {
                Ok(new_status) => new_status,
                Err(finish) => return Ok(finish),
            };
        let (new_outputs, new_error) = match answer {
            Answer::Succeeded(o) => (Some(json_text(o)), None),
            Answer::Failed(reason) => (None, Some(reason.as_str())),
        };
        sqlx::query(
            "UPDATE sub_requests SET status = $1, outputs = $2, error = $3, locked_until = NULL, next_attempt_at = $4, updated_at = $4
             WHERE id = $5",
        )
        .bind(new_status.as_str())
        .bind(new_outputs)
        .bind(new_error)
        .bind(now)
        .bind(&target.id)
        .execute(&mut *tx)
        .await?;
        let call = CallKey::new(target.service_id.as_str(), target.item).to_string();
        let detail = match new_error {
            Some(reason) => format!("{via}: {reason}"),
            None => via.to_owned(),
        };
        let (application, status) = (target.application_id.as_str(), new_status.as_str());
        history(
            &mut tx,
            application,
            Some(&call),
            status,
            Some(&detail),
            now,
        )
        .await?;
        advance(&mut tx, self.backend, target.application_id.as_str(), now).await?;
        super::audit::append(&mut tx, &[audit]).await?;
        tx.commit().await?;
        Ok(Finish::Applied)
    }

    /// Run the failed calls of `service` (one `item`, or all) again, with `data` replacing the
    /// application's data when given; what was blocked behind them waits again. A human step
    /// reopens until `human_deadline`.
    pub async fn retry_failed(&self, retry: Retry<'_>) -> Result<RetryResult, StoreError> {
        let Retry {
            application: application_id,
            service,
            item,
            data,
            human_deadline,
            ..
        } = retry;
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        lock_application(&mut tx, application_id, now).await?;
        let failed = match failed_calls(&mut tx, application_id, service, item).await? {
            Ok(failed) => failed,
            Err(nothing) => return Ok(nothing),
        };
        if let Some(data) = data {
            sqlx::query("UPDATE applications SET data = $1 WHERE id = $2")
                .bind(json_text(data))
                .bind(application_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some((institution, old, new)) = retry.findable {
            super::findable::replace(&mut tx, application_id, institution, (old, new)).await?;
        }
        record_correction(&mut tx, &retry, now).await?;
        let detail = match data {
            Some(_) => "operator retry with corrected data",
            None => "operator retry",
        };
        for (id, this_item, kind) in &failed {
            let status = reopen(&mut tx, id, *kind, now, human_deadline).await?;
            let call = CallKey::new(service, *this_item).to_string();
            let status = status.as_str();
            history(
                &mut tx,
                application_id,
                Some(&call),
                status,
                Some(detail),
                now,
            )
            .await?;
        }
        unblock(&mut tx, application_id, now).await?;
        advance(&mut tx, self.backend, application_id, now).await?;
        let entries: Vec<&crate::audit::Entry> = retry.audit.iter().collect();
        super::audit::append(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(RetryResult::Retried(failed.len()))
    }
}

/// An operator's retry, as the store carries it out.
pub struct Retry<'a> {
    pub application: &'a str,
    pub service: &'a str,
    /// One item of a repeated service, or all its failed ones.
    pub item: Option<i64>,
    /// The corrected data, validated, when there was a patch.
    pub data: Option<&'a Value>,
    /// The patch as the operator sent it, kept with its author.
    pub patch: Option<&'a Value>,
    pub author: &'a str,
    /// When a reopened human step expires (ms).
    pub human_deadline: i64,
    /// What the data was and is now found by, for the application's institution.
    pub findable: Option<(Option<&'a str>, &'a super::Findable, &'a super::Findable)>,
    /// Its audit entries (the retry, and the correction when there is one).
    pub audit: Vec<crate::audit::Entry>,
}

/// Keep who asked for a retry, and the patch they sent.
async fn record_correction(
    tx: &mut sqlx::AnyConnection,
    retry: &Retry<'_>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO corrections (application_id, service_id, item, patch, author, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(retry.application)
    .bind(retry.service)
    .bind(retry.item)
    .bind(retry.patch.map(json_text))
    .bind(retry.author)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The failed calls of `service` (of one `item`, or all): id, item and kind of each; or, when
/// there is none, why there is nothing to retry.
async fn failed_calls(
    tx: &mut sqlx::AnyConnection,
    application_id: &str,
    service: &str,
    item: Option<i64>,
) -> Result<Result<Vec<(String, i64, SubKind)>, RetryResult>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, item, status, kind FROM sub_requests WHERE application_id = $1 AND service_id = $2",
    )
    .bind(application_id)
    .bind(service)
    .fetch_all(&mut *tx)
    .await?;
    let mut failed = Vec::new();
    let mut other = None;
    for row in &rows {
        let this_item: i64 = row.try_get("item")?;
        if item.is_some_and(|i| i != this_item) {
            continue;
        }
        let status: String = row.try_get("status")?;
        let status = SubStatus::parse(&status).ok_or(StoreError::Corrupt(status))?;
        let kind: String = row.try_get("kind")?;
        let kind = SubKind::parse(&kind).ok_or(StoreError::Corrupt(kind))?;
        match lifecycle::next(kind, status, Event::Retried) {
            Ok(_) => failed.push((row.try_get::<String, _>("id")?, this_item, kind)),
            Err(_) => {
                other.get_or_insert(status);
            }
        }
    }
    if failed.is_empty() {
        return Ok(Err(match other {
            Some(status) => RetryResult::NotFailed(status),
            None => RetryResult::NotFound,
        }));
    }
    Ok(Ok(failed))
}

/// Put one failed sub-request back in the queue (a human step back to waiting for the person);
/// the status it takes.
async fn reopen(
    tx: &mut sqlx::AnyConnection,
    id: &str,
    kind: SubKind,
    now: i64,
    human_deadline: i64,
) -> Result<SubStatus, StoreError> {
    let status = lifecycle::next(kind, SubStatus::Failed, Event::Retried)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let (next, deadline, attention_at) = match kind {
        SubKind::Human => {
            let attention_at = lifecycle::step_attention_at(now, human_deadline);
            (human_deadline, Some(human_deadline), Some(attention_at))
        }
        SubKind::Service => (now, None, None),
    };
    sqlx::query(
        "UPDATE sub_requests SET status = $1, next_attempt_at = $2, deadline = $3, failures = 0, failing_since = NULL, error = NULL, outputs = NULL,
            poll_url = NULL, locked_until = NULL, updated_at = $4, attention_at = $5
         WHERE id = $6",
    )
    .bind(status.as_str())
    .bind(next)
    .bind(deadline)
    .bind(now)
    .bind(attention_at)
    .bind(id)
    .execute(tx)
    .await?;
    Ok(status)
}

/// Blocked sub-requests wait again (`advance` blocks those still behind another failure), and
/// the application is in progress again.
async fn unblock(
    tx: &mut sqlx::AnyConnection,
    application_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    let blocked = sqlx::query(
        "SELECT service_id, item FROM sub_requests WHERE application_id = $1 AND status = 'blocked'",
    )
    .bind(application_id)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE sub_requests SET status = 'waiting', updated_at = $1 WHERE application_id = $2 AND status = 'blocked'",
    )
    .bind(now)
    .bind(application_id)
    .execute(&mut *tx)
    .await?;
    for row in &blocked {
        let service: String = row.try_get("service_id")?;
        let item: i64 = row.try_get("item")?;
        let call = CallKey::new(service, item).to_string();
        let waiting = lifecycle::next(SubKind::Service, SubStatus::Blocked, Event::Unblocked)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        history(
            tx,
            application_id,
            Some(&call),
            waiting.as_str(),
            Some("operator retry"),
            now,
        )
        .await?;
    }
    let in_progress = ApplicationStatus::InProgress.as_str();
    sqlx::query("UPDATE applications SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(in_progress)
        .bind(now)
        .bind(application_id)
        .execute(&mut *tx)
        .await?;
    history(
        tx,
        application_id,
        None,
        in_progress,
        Some("operator retry"),
        now,
    )
    .await
}
