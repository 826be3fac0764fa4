//! Early release: a call whose dependencies have all succeeded starts as soon as the last of
//! their answers is back here, not after that answer has been stored.
//!
//! Storing an answer takes the writer's turn and a commit, most of each stage's overhead under
//! load. So the calls the writer hands over
//! together, one application's, share a `Flight`: the application's calls as that transaction
//! left them. When one of its calls succeeds, the flight notes the outputs, and every waiting
//! call whose dependencies have now all succeeded is claimed here (one attempt more, as the
//! database will count it) and started at once; the answer goes to the writer, with the ids of
//! the calls it started, in the same breath, so the writer stores it before their answers
//! (`writer::run` puts off an answer whose releasing answer is in the same batch). The writer
//! takes those calls in the transaction that stores the releasing answer, whatever its limit,
//! and does not hand them over again.
//!
//! Nothing is lost if that transaction fails or the process dies first: the calls go out with
//! their idempotency keys, which never change, so when the stored state releases them again
//! (after the releasing call is repeated, with its own key, and answered the same) the
//! registry answers the repeat without a second effect; the early call's own answer is then
//! refused by the claim's fence, or stored once. A flight only ever releases on answers it saw
//! or states the database had committed, so it never releases what the stored state would
//! not; where it knows less (a call finished by a callback, another instance's work) it
//! releases nothing and the writer does, as before.

use super::jobs::SubmitError;
use super::writer::{Done, Inboxes, Job};
use crate::lifecycle::{self, ApplicationId};
use crate::store::{CallContext, Claim, Completion, SubRequestRecord, SubStatus};
use serde_json::Value;
use std::sync::{Arc, Mutex, PoisonError};

/// What this instance knows of one application's calls while it holds some of them.
pub(super) struct Flight {
    application_id: ApplicationId,
    bundle_id: String,
    bundle_version: i64,
    data: Arc<Value>,
    acting: Arc<str>,
    request_id: Option<Arc<str>>,
    calls: Mutex<Vec<SubRequestRecord>>,
}

impl Flight {
    /// The calls as the transaction that handed them over left them.
    pub fn new(application_id: &ApplicationId, context: &CallContext) -> Self {
        Self {
            application_id: application_id.clone(),
            bundle_id: context.bundle_id.clone(),
            bundle_version: context.bundle_version,
            data: context.data.clone(),
            acting: context.acting.clone(),
            request_id: context.request_id.clone(),
            calls: Mutex::new(context.siblings.clone()),
        }
    }

    /// Take in the outcome of one of the flight's calls and send it to the writer, with the
    /// calls it releases; those come back claimed (leased until `locked_until`), with what
    /// their requests need, for the caller to start. A call to a registry that is
    /// `unavailable` is not started: the writer parks it as it stores the release.
    ///
    /// The outcome is sent while the flight is locked: two answers that together release a
    /// call reach the writer in the order the flight saw them, so the writer never sees the
    /// second (which names the call as started) before the first.
    pub fn answered(
        &self,
        mut done: Done,
        writer: &Inboxes,
        now: i64,
        locked_until: i64,
        unavailable: impl Fn(&str) -> bool,
    ) -> Result<Vec<Claim>, SubmitError> {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        let released = match calls.iter_mut().find(|c| c.id == done.claim.id) {
            // Only a call this flight still holds, at this attempt, tells it anything.
            Some(call)
                if call.status == SubStatus::Running && call.attempts == done.claim.attempts =>
            {
                call.updated_at = now;
                // Its next attempt, if any, is claimed from the database.
                call.status = done.completion.status();
                if let Completion::Succeeded(outputs) = &done.completion {
                    call.outputs = Some(outputs.clone());
                    start(&mut calls, now, unavailable)
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        };
        let claims = self.claims(&calls, &released, locked_until);
        done.early = claims.iter().map(|c| c.id.clone()).collect();
        writer.send(Job::Done(done))?;
        Ok(claims)
    }

    fn claims(&self, calls: &[SubRequestRecord], released: &[usize], until: i64) -> Vec<Claim> {
        if released.is_empty() {
            return Vec::new();
        }
        let context = Arc::new(CallContext {
            bundle_id: self.bundle_id.clone(),
            bundle_version: self.bundle_version,
            data: self.data.clone(),
            siblings: calls.to_vec(),
            acting: self.acting.clone(),
            request_id: self.request_id.clone(),
        });
        released
            .iter()
            .map(|&n| {
                let call = &calls[n];
                Claim {
                    id: call.id.clone(),
                    application_id: self.application_id.clone(),
                    service_id: call.service_id.clone(),
                    item: call.item,
                    kind: call.kind,
                    attempts: call.attempts,
                    failures: call.failures,
                    // Released from waiting: it has never failed.
                    failing_since: None,
                    idempotency_key: call.idempotency_key.clone(),
                    callback_token: call.callback_token.clone(),
                    poll_url: None,
                    deadline: call.deadline,
                    locked_until: until,
                    context: Some(context.clone()),
                }
            })
            .collect()
    }
}

/// The waiting registry calls the lifecycle lets start now (`lifecycle::startable`), claimed
/// (`running`, one attempt more, as the writer will store them); but those of unavailable
/// registries, which become `ready` here as in the database (the writer parks them), so that
/// no later answer starts them.
fn start(
    calls: &mut [SubRequestRecord],
    now: i64,
    unavailable: impl Fn(&str) -> bool,
) -> Vec<usize> {
    let views: Vec<_> = calls.iter().map(SubRequestRecord::view).collect();
    let mut started = Vec::new();
    for n in lifecycle::startable(&views) {
        let call = &mut calls[n];
        call.updated_at = now;
        if unavailable(&call.service_id) {
            call.status = SubStatus::Ready;
            continue;
        }
        call.status = SubStatus::Running;
        call.attempts += 1;
        started.push(n);
    }
    started
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SubKind;
    use serde_json::json;
    use tokio::sync::mpsc;

    fn call(service: &str, status: SubStatus, depends_on: &[&str]) -> SubRequestRecord {
        SubRequestRecord {
            id: format!("id-{service}"),
            service_id: service.to_owned(),
            item: 0,
            status,
            depends_on: (depends_on.iter())
                .map(|d| lifecycle::CallKey::parse(d).expect("a call key"))
                .collect(),
            attempts: u8::from(status == SubStatus::Running).into(),
            outputs: None,
            error: None,
            updated_at: 0,
            kind: SubKind::Service,
            callback_token: Some(format!("token-{service}")),
            deadline: None,
            idempotency_key: format!("app:{service}:0"),
            failures: 0,
        }
    }

    /// Birth's second and third stages: `b` and `c` after `a`; `d` after `b` and `c`.
    fn flight() -> Flight {
        use SubStatus::*;
        let context = CallContext {
            bundle_id: "birth".into(),
            bundle_version: 1,
            acting: Arc::from("clerk"),
            request_id: None,
            data: Arc::new(json!({"child": {"name": "Марʼяна"}})),
            siblings: vec![
                call("a", Succeeded, &[]),
                call("b", Running, &["a#0"]),
                call("c", Running, &["a#0"]),
                call("d", Waiting, &["b#0", "c#0"]),
                SubRequestRecord {
                    kind: SubKind::Human,
                    ..call("h", Waiting, &["b#0"])
                },
            ],
        };
        Flight::new(&ApplicationId::from_uuid(uuid::Uuid::nil()), &context)
    }

    fn done(service: &str, completion: Completion) -> Done {
        let claim = flight().claims(&[call(service, SubStatus::Running, &[])], &[0], 9);
        let claim = claim.into_iter().next().expect("a claim");
        Done::new(claim, completion, None)
    }

    fn writer() -> (Inboxes, mpsc::UnboundedReceiver<Job>) {
        let (inboxes, mut receivers) = Inboxes::new(1);
        (inboxes, receivers.remove(0))
    }

    fn sent(rx: &mut mpsc::UnboundedReceiver<Job>) -> Done {
        match rx.try_recv() {
            Ok(Job::Done(done)) => done,
            _ => panic!("no outcome was sent"),
        }
    }

    #[test]
    fn a_call_starts_when_the_last_of_its_dependencies_succeeds() {
        let (flight, (writer, mut rx)) = (flight(), writer());
        let b = done("b", Completion::Succeeded(json!({"rnokpp": "1"})));
        let first = flight
            .answered(b, &writer, 5, 100, |_| false)
            .expect("sent");
        assert!(first.is_empty(), "d still waits for c: {first:?}");
        assert!(sent(&mut rx).early.is_empty());

        let c = done("c", Completion::Succeeded(json!({"unzr": "2"})));
        let claims = flight
            .answered(c, &writer, 6, 100, |_| false)
            .expect("sent");
        let ids: Vec<&str> = claims.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            ["id-d"],
            "the person's step is not the flight's to start"
        );
        assert_eq!(sent(&mut rx).early, ["id-d"]);
        let d = &claims[0];
        assert_eq!((d.attempts, d.locked_until), (1, 100));
        assert_eq!(d.idempotency_key, "app:d:0");
        let context = d.context.as_ref().expect("a context");
        let outputs = |s: &str| {
            context
                .siblings
                .iter()
                .find(|c| c.service_id == s)?
                .outputs
                .clone()
        };
        assert_eq!(outputs("b"), Some(json!({"rnokpp": "1"})));
        assert_eq!(outputs("c"), Some(json!({"unzr": "2"})));
        assert_eq!(context.data["child"]["name"], "Марʼяна");
    }

    /// A call to an unavailable registry is released but not started: the writer parks it as
    /// it stores the answer. Nor does a later answer start it, once the registry is back.
    #[test]
    fn a_call_to_an_unavailable_registry_is_left_for_the_writer_to_park() {
        use SubStatus::*;
        let context = CallContext {
            bundle_id: "birth".into(),
            bundle_version: 1,
            acting: Arc::from("clerk"),
            request_id: None,
            data: Arc::new(json!({})),
            siblings: vec![
                call("a", Succeeded, &[]),
                call("b", Running, &["a#0"]),
                call("c", Running, &["a#0"]),
                call("d", Waiting, &["b#0"]),
            ],
        };
        let flight = Flight::new(&ApplicationId::from_uuid(uuid::Uuid::nil()), &context);
        let (writer, mut rx) = writer();
        let answer = |service: &str, unavailable: bool| {
            let done = done(service, Completion::Succeeded(json!({})));
            let claims = flight.answered(done, &writer, 5, 100, |s| unavailable && s == "d");
            claims.expect("sent")
        };
        assert!(answer("b", true).is_empty(), "d is not started");
        assert!(sent(&mut rx).early.is_empty(), "nor named as started");
        assert!(answer("c", false).is_empty(), "d is the writer's now");
        assert!(sent(&mut rx).early.is_empty());
    }

    #[test]
    fn nothing_starts_behind_a_failure_a_retry_or_a_stale_claim() {
        let (flight, (writer, mut rx)) = (flight(), writer());
        let starts = |done: Done, now: i64| -> Vec<Claim> {
            flight
                .answered(done, &writer, now, 100, |_| false)
                .expect("sent")
        };
        assert!(starts(done("b", Completion::Succeeded(json!({}))), 5).is_empty());
        assert!(
            starts(
                done(
                    "c",
                    Completion::Retry {
                        at: 50,
                        reason: "503".into(),
                        since: 1,
                    }
                ),
                6
            )
            .is_empty()
        );
        // The retry is claimed from the database later; its answer does not come here as
        // the attempt the flight held.
        let mut again = done("c", Completion::Succeeded(json!({})));
        again.claim.attempts = 2;
        assert!(starts(again, 7).is_empty());
        assert!(starts(done("c", Completion::Succeeded(json!({}))), 8).is_empty());
        for _ in 0..4 {
            assert!(
                sent(&mut rx).early.is_empty(),
                "every outcome still goes to the writer"
            );
        }
    }
}
