//! The dispatcher of one `serve` instance: claims due work, calls the registries within their
//! limits, and hands each outcome to its application's writer. It decides nothing about what
//! an answer means (`registry`) or what it does to the application (`lifecycle`, through the
//! writer and the store).

use super::writer::{self, Done, Inboxes, Job};
use super::{DispatchSettings, Handed, Policies, Policy, PrepareError, Submitter, build_request};
use crate::bundle::Catalog;
use crate::registry::{Outcome, RegistryClient};
use crate::store::{CallContext, Claim, Completion, Store, SubKind, now_ms};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, mpsc};

/// Time left on a lease below which it is renewed before a call (beyond the call's timeout).
const LEASE_MARGIN: Duration = Duration::from_secs(2);

/// Aborts the task when dropped (the writer ends with the dispatcher).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The fan-out engine of one `serve` instance.
#[derive(Clone)]
pub struct Dispatcher {
    store: Store,
    catalog: Arc<Catalog>,
    client: RegistryClient,
    settings: Arc<DispatchSettings>,
    policies: Arc<Policies>,
    wake: Arc<Notify>,
    /// Claims this instance holds in memory (queued, in a call, or waiting to be recorded).
    held: Arc<AtomicUsize>,
    /// Work for the writers: outcomes to record, new applications to store.
    jobs: Inboxes,
    /// The writers' ends, taken when the dispatcher runs.
    jobs_rx: Arc<Mutex<Option<Vec<mpsc::UnboundedReceiver<Job>>>>>,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        catalog: Arc<Catalog>,
        client: RegistryClient,
        settings: DispatchSettings,
    ) -> Self {
        let known = catalog.services.values().map(|s| s.registry.clone());
        let policies = Policies::new(
            settings.defaults,
            settings.registry_concurrency,
            &settings.registries,
            known,
        );
        let (jobs, jobs_rx) = Inboxes::new(store.writers());
        Self {
            store,
            catalog,
            client,
            settings: Arc::new(settings),
            policies: Arc::new(policies),
            wake: Arc::new(Notify::new()),
            held: Arc::new(AtomicUsize::new(0)),
            jobs,
            jobs_rx: Arc::new(Mutex::new(Some(jobs_rx))),
        }
    }

    /// A handle to store new applications through the dispatcher's writer, which claims their
    /// first calls in the same transaction (they start without a poll). Answers only while
    /// the dispatcher runs.
    pub fn submitter(&self) -> Submitter {
        Submitter::new(self.jobs.clone())
    }

    /// What a writer needs of the dispatcher, and nothing more.
    fn writer_handle(&self) -> writer::Handle {
        writer::Handle {
            store: self.store.clone(),
            settings: self.settings.clone(),
            held: self.held.clone(),
            wake: self.wake.clone(),
        }
    }

    /// A handle to wake the dispatcher when new work was stored.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Run until the task is dropped: claim due work, call registries, record outcomes.
    ///
    /// Outcomes and new applications go to one writer task, which stores all that are ready
    /// at once in one transaction (a group commit) and claims, in the same transaction, the
    /// calls they release or start with; those come straight back here, so a dependency stage
    /// costs one shared commit and no polling. Most dependents do not even wait for that: the
    /// calls handed over together share a `Flight`, which starts a dependent as soon as the
    /// last answer it needs is back, before the writer has stored it. Due work from elsewhere
    /// (retries, callbacks, expired leases, another instance's applications) is claimed from
    /// the database when something wakes the dispatcher or every `poll_interval`.
    pub async fn run(self) {
        let Some(jobs) = self.jobs_rx.lock().ok().and_then(|mut rx| rx.take()) else {
            tracing::error!("The dispatcher is already running");
            return;
        };
        let permits = Arc::new(Semaphore::new(self.settings.concurrency));
        let done_tx = self.jobs.clone();
        let (claims_tx, mut claims_rx) = mpsc::unbounded_channel();
        let mut _stop_writers = Vec::new();
        for inbox in jobs {
            let writer = writer::run(self.writer_handle(), inbox, claims_tx.clone());
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            if let Err(e) = writer::spawn_thread(writer, stopped) {
                tracing::error!(error = ?e, "Failed to start a writer's thread");
                return;
            }
            _stop_writers.push(stop);
        }
        let poller = tokio::spawn(self.clone().poll(claims_tx.clone()));
        let _stop_poller = AbortOnDrop(poller);
        while let Some(handed) = claims_rx.recv().await {
            if !self.start(handed, &permits, &done_tx, &claims_tx).await {
                return;
            }
        }
    }

    /// Claim due work from the database whenever something wakes the dispatcher and every
    /// `poll_interval`, as much as there is room for, and queue it for `run`. A separate task,
    /// so that calls handed over by the writers never wait behind a claim.
    async fn poll(self, claims: mpsc::UnboundedSender<Handed>) {
        let lease = self.settings.lease.as_millis() as i64;
        let mut ticks = tokio::time::interval(self.settings.poll_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let free = self
                .settings
                .concurrency
                .saturating_sub(self.held.load(Ordering::Relaxed));
            let claimed = if free == 0 {
                Ok(Vec::new())
            } else {
                let instance = &self.settings.instance;
                self.store.claim(free as i64, lease, instance).await
            };
            match claimed {
                Ok(found) => {
                    let full = !found.is_empty() && found.len() == free;
                    self.held.fetch_add(found.len(), Ordering::Relaxed);
                    for claim in found {
                        if claims
                            .send(Handed {
                                claim,
                                flight: None,
                            })
                            .is_err()
                        {
                            return;
                        }
                    }
                    if full {
                        // There may be more: look again at once.
                        continue;
                    }
                }
                Err(e) => tracing::error!(error = ?e, "Failed to claim sub-requests"),
            }
            tokio::select! {
                () = self.wake.notified() => {}
                _ = ticks.tick() => {}
            }
        }
    }

    /// Work on a held claim once a permit is free; false when the dispatcher is shutting down.
    /// Its outcome goes to the writer; calls it releases in its flight start at once (see
    /// `Flight`), queued behind the claims already here.
    async fn start(
        &self,
        handed: Handed,
        permits: &Arc<Semaphore>,
        done: &Inboxes,
        claims: &mpsc::UnboundedSender<Handed>,
    ) -> bool {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return false;
        };
        let (this, done, claims) = (self.clone(), done.clone(), claims.clone());
        tokio::spawn(async move {
            let Handed { claim, flight } = handed;
            let completion = this.process(&claim).await;
            drop(permit);
            let Some(completion) = completion else {
                this.held.fetch_sub(1, Ordering::Relaxed);
                return;
            };
            let outcome = Done::new(claim, completion);
            let sent = match &flight {
                Some(flight) => {
                    let now = now_ms();
                    let until = now + this.settings.lease.as_millis() as i64;
                    flight.answered(outcome, &done, now, until)
                }
                None => done.send(Job::Done(outcome)).map(|()| Vec::new()),
            };
            let Ok(released) = sent else {
                this.held.fetch_sub(1, Ordering::Relaxed);
                return;
            };
            this.held.fetch_add(released.len(), Ordering::Relaxed);
            for claim in released {
                let flight = flight.clone();
                if claims.send(Handed { claim, flight }).is_err() {
                    this.held.fetch_sub(1, Ordering::Relaxed);
                }
            }
        });
        true
    }

    /// Call the registry for a claim (or end it at its deadline): the outcome to record, or
    /// `None` when the lease was lost before the call.
    async fn process(&self, claim: &Claim) -> Option<Completion> {
        let now = now_ms();
        let completion = if claim.deadline.is_some_and(|d| d <= now) {
            Completion::Failed(expired(claim.kind).into())
        } else if claim.kind == SubKind::Human {
            // A person's step is only claimed at its deadline; without one it cannot end.
            Completion::Failed(expired(claim.kind).into())
        } else {
            match self.call(claim).await {
                Ok(completion) => completion,
                Err(PrepareError::LeaseLost) => {
                    tracing::warn!(application.id = %claim.application_id, service.id = %claim.service_id, "Lease lost before the call; another instance has it");
                    return None;
                }
                Err(e) => {
                    tracing::error!(error = ?e, application.id = %claim.application_id, service.id = %claim.service_id, "Failed to prepare a registry call");
                    // Perhaps passing (the database); if it persists, fail visibly.
                    let policy = self.policies.defaults();
                    let reason = format!("внутрішня помилка підготовки запиту: {e}");
                    if claim.failures + 1 >= policy.max_attempts {
                        Completion::Failed(reason)
                    } else {
                        let wait = policy.backoff(claim.failures + 1, None);
                        Completion::RetryAt(now + wait.as_millis() as i64, reason)
                    }
                }
            }
        };
        tracing::info!(application.id = %claim.application_id, service.id = %claim.service_id, attempt = claim.attempts, outcome = completion.name(), "Sub-request step finished");
        Some(completion)
    }

    async fn call(&self, claim: &Claim) -> Result<Completion, PrepareError> {
        let context = match &claim.context {
            Some(context) => context.clone(),
            None => Arc::new(self.read_context(claim).await?),
        };
        let bundle = self
            .catalog
            .bundle(&context.bundle_id)
            .ok_or(PrepareError::Missing("bundle"))?;
        let step = bundle
            .step(&claim.service_id)
            .ok_or(PrepareError::Missing("bundle step"))?;
        let service = self
            .catalog
            .service(&claim.service_id)
            .ok_or(PrepareError::Missing("service"))?;
        let policy = self.policies.for_call(service, step);
        let _permit = self
            .policies
            .permits(&service.registry)
            .acquire_owned()
            .await
            .map_err(|_| PrepareError::Missing("registry permit"))?;
        self.keep_lease(claim, policy.timeout).await?;
        let outcome = match &claim.poll_url {
            Some(url) => self.client.poll(service, url, policy.timeout).await,
            None => {
                let (data, siblings) = (&context.data, &context.siblings);
                let request = build_request(service, step, claim.item, data, siblings)?;
                let callback = claim
                    .callback_token
                    .as_ref()
                    .map(|t| format!("{}/{t}", self.settings.callback_base));
                let key = &claim.idempotency_key;
                let timeout = policy.timeout;
                (self.client)
                    .call(service, key, callback.as_deref(), &request, timeout)
                    .await
            }
        };
        Ok(self.completion(claim, outcome, &policy))
    }

    /// What a claim taken from the database needs for its request (a claim handed over by the
    /// recorder brings it along). A poll needs no siblings.
    async fn read_context(&self, claim: &Claim) -> Result<CallContext, PrepareError> {
        let application = self
            .store
            .application(&claim.application_id)
            .await?
            .ok_or(PrepareError::Missing("application"))?;
        let siblings = match claim.poll_url {
            Some(_) => Vec::new(),
            None => self.store.sub_requests(&claim.application_id).await?,
        };
        Ok(CallContext {
            bundle_id: application.bundle_id,
            data: Arc::new(application.data),
            siblings,
        })
    }

    /// Renew the lease when the call (up to `timeout`) could outlive it, e.g. after waiting
    /// for a busy registry.
    async fn keep_lease(&self, claim: &Claim, timeout: Duration) -> Result<(), PrepareError> {
        let now = now_ms();
        let needed = (timeout + LEASE_MARGIN).as_millis() as i64;
        if claim.locked_until - now >= needed {
            return Ok(());
        }
        let until = now + needed + self.settings.lease.as_millis() as i64;
        match self.store.renew(claim, until).await? {
            true => Ok(()),
            false => Err(PrepareError::LeaseLost),
        }
    }

    /// What to store for an outcome under the call's policy.
    fn completion(&self, claim: &Claim, outcome: Outcome, policy: &Policy) -> Completion {
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
            Outcome::Retry { reason, .. } if claim.failures + 1 >= policy.max_attempts => {
                Completion::Failed(format!("{reason}; спроб: {}", claim.failures + 1))
            }
            Outcome::Retry { reason, after } => {
                let wait = policy.backoff(claim.failures + 1, after);
                Completion::RetryAt(now + ms(wait), reason)
            }
        }
    }
}

fn expired(kind: SubKind) -> &'static str {
    match kind {
        SubKind::Human => "строк виконання кроку минув (the step expired)",
        SubKind::Service => {
            "реєстр не надав відповіді до граничного строку (no answer from the registry by the deadline)"
        }
    }
}
