//! What a dispatcher stores for the outcome of an attempt, under the call's policy: a
//! retriable failure is tried again until the call's time budget (or optional attempt cap)
//! runs out, counted from the first failure of the run; and for a call its registry's gate
//! holds, no attempt.

use super::Dispatcher;
use crate::fanout::Policy;
use crate::fanout::gates::{Admit, Gate};
use crate::registry::Outcome;
use crate::store::{Claim, Completion, SubKind, now_ms};
use std::time::Duration;

impl Dispatcher {
    /// What to store for an outcome of an attempt that started at `started` (ms).
    pub(super) fn completion(
        &self,
        claim: &Claim,
        outcome: Outcome,
        policy: &Policy,
        started: i64,
    ) -> Completion {
        let now = now_ms();
        let ms = |d: Duration| d.as_millis() as i64;
        match outcome {
            Outcome::Succeeded(outputs) => Completion::Succeeded(outputs),
            Outcome::Refused(reason) => Completion::Failed(reason),
            Outcome::Accepted { status_url, after } => {
                let poll_url = status_url.or_else(|| claim.poll_url.clone());
                let default_wait = match poll_url {
                    Some(_) => self.settings.poll_every,
                    None => self.settings.recheck_after,
                };
                let deadline = claim
                    .deadline
                    .unwrap_or(now + ms(self.settings.answer_deadline));
                Completion::Awaiting {
                    check_at: (now + ms(after.unwrap_or(default_wait))).min(deadline),
                    poll_url,
                    deadline,
                }
            }
            Outcome::Retry { reason, after, .. } => {
                self.retry(claim, policy, reason, started, after)
            }
        }
    }

    /// A retriable failure of an attempt that started at `started`: again later, or failed
    /// for good once the budget is spent.
    pub(super) fn retry(
        &self,
        claim: &Claim,
        policy: &Policy,
        reason: String,
        started: i64,
        after: Option<Duration>,
    ) -> Completion {
        let failures = claim.failures + 1;
        let since = claim.failing_since.unwrap_or(started);
        match policy.after_failure(failures, since, now_ms(), after) {
            Ok(at) => Completion::Retry { at, reason, since },
            Err(gave_up) => Completion::Failed(format!("{reason}; {}", gave_up.describe())),
        }
    }
}

pub(super) fn expired(kind: SubKind) -> &'static str {
    match kind {
        SubKind::Human => "строк виконання кроку минув (the step expired)",
        SubKind::Service => {
            "реєстр не надав відповіді до граничного строку (no answer from the registry by the deadline)"
        }
    }
}

/// The call `gate` holds, if it does: to be tried again when the registry is back.
pub(super) fn held(gate: &Gate, probe: bool) -> Option<Completion> {
    let now = now_ms();
    match gate.admit(probe, now) {
        Admit::Go => None,
        Admit::Hold { at, reason } => Some(Completion::Held {
            at,
            reason: reason.to_owned(),
        }),
    }
}
