//! The dispatcher of one `serve` instance: claims due work, calls the registries within their
//! limits, and hands each outcome to its application's writer. Each call waits at its
//! registry's gate (`gates`: concurrency, pace, circuit) before it takes one of the instance's
//! permits, so one registry's trouble never slows the others. It decides nothing about what an
//! answer means (`registry`) or what it does to the application (`lifecycle`, through the
//! writer and the store).

mod outcome;
mod poll;
mod send;
mod stop;

pub(super) use stop::Stopping;
pub use stop::{Liveness, Stopped};

use outcome::{expired, held};

use super::gates::Gates;
use super::writer::{self, Done, Inboxes, Job};
use super::{DispatchSettings, Handed, Policies, PrepareError, Start, Submitter};
use crate::bundle::Catalog;
use crate::registry::{Adapters, Exchange, Outcome};
use crate::store::{CallContext, Claim, Completion, Message, Store, SubKind, now_ms};
use crate::telemetry::Telemetry;
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
    /// The adapter of each registry's protocol.
    adapters: Adapters,
    settings: Arc<DispatchSettings>,
    policies: Arc<Policies>,
    /// Each registry's limits, pace and circuit.
    gates: Arc<Gates>,
    /// The instance's permits: calls in flight across registries.
    calls: Arc<Semaphore>,
    wake: Arc<Notify>,
    /// Claims this instance holds in memory (queued, in a call, or waiting to be recorded).
    held: Arc<AtomicUsize>,
    /// Work for the writers: outcomes to record, new applications to store.
    jobs: Inboxes,
    /// The writers' ends, taken when the dispatcher runs.
    jobs_rx: Arc<Mutex<Option<Vec<mpsc::UnboundedReceiver<Job>>>>>,
    /// What is counted of the calls and the writers' batches.
    telemetry: Arc<Telemetry>,
    /// Whether it runs, is stopping, and its calls in flight (see `stop`).
    stopping: Arc<Stopping>,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        catalog: Arc<Catalog>,
        adapters: Adapters,
        settings: DispatchSettings,
        telemetry: Arc<Telemetry>,
    ) -> Self {
        let policies = Policies::new(settings.defaults, &settings.registries);
        let gates = Gates::new(
            store.clone(),
            &catalog,
            settings.circuit,
            settings.registry_concurrency,
            &settings.registries,
        );
        let (jobs, jobs_rx) = Inboxes::new(store.writers());
        Self {
            store,
            catalog,
            adapters,
            calls: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            settings: Arc::new(settings),
            policies: Arc::new(policies),
            gates: Arc::new(gates),
            wake: Arc::new(Notify::new()),
            held: Arc::new(AtomicUsize::new(0)),
            jobs,
            jobs_rx: Arc::new(Mutex::new(Some(jobs_rx))),
            telemetry,
            stopping: Arc::new(Stopping::default()),
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
            gates: self.gates.clone(),
            telemetry: self.telemetry.clone(),
            stopping: self.stopping.clone(),
        }
    }

    /// What this instance knows of the registries' circuits.
    pub fn registries(&self) -> super::Registries {
        super::Registries::new(self.gates.clone())
    }

    /// What this instance counts of its calls.
    pub fn telemetry(&self) -> Arc<Telemetry> {
        self.telemetry.clone()
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
        let _running = self.stopping.running();
        while let Some(handed) = claims_rx.recv().await {
            self.start(handed, &done_tx, &claims_tx);
        }
    }

    /// Work on a held claim: a task of its own, which waits for the claim's registry and only
    /// then for one of the instance's permits (see `gates`). Its outcome goes to the writer;
    /// calls it releases in its flight start at once (see `Flight`).
    fn start(&self, handed: Handed, done: &Inboxes, claims: &mpsc::UnboundedSender<Handed>) {
        if self.stopping.is_stopping() {
            // Not started: its lease is given back when the dispatcher has stopped.
            self.held.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        let (this, done, claims) = (self.clone(), done.clone(), claims.clone());
        // Until its outcome is with the writer (see `stop`).
        let in_flight = self.stopping.in_flight();
        // Its log lines carry the request id of the submission (recorded once known).
        let span = tracing::info_span!("call", request_id = tracing::field::Empty);
        if let Some(id) = (handed.claim.context.as_ref()).and_then(|c| c.request_id.as_deref()) {
            span.record("request_id", id);
        }
        let work = async move {
            let Handed {
                claim,
                flight,
                start,
            } = handed;
            let Some((completion, message)) = this.process(&claim, start).await else {
                this.held.fetch_sub(1, Ordering::Relaxed);
                return;
            };
            let outcome = Done::new(claim, completion, message);
            let sent = match &flight {
                Some(flight) => {
                    let now = now_ms();
                    let until = now + this.settings.lease.as_millis() as i64;
                    let unavailable = |service: &str| this.unavailable(service);
                    flight.answered(outcome, &done, now, until, unavailable)
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
                let handed = Handed {
                    claim,
                    flight,
                    start: Start::Early,
                };
                if claims.send(handed).is_err() {
                    this.held.fetch_sub(1, Ordering::Relaxed);
                }
            }
            drop(in_flight);
        };
        tokio::spawn(tracing::Instrument::instrument(work, span));
    }

    /// Whether the registry of `service` is unavailable (its calls are parked, not started).
    fn unavailable(&self, service: &str) -> bool {
        let registry = self.catalog.registry_of(service);
        registry.is_some_and(|r| self.gates.of(r).is_open())
    }

    /// Call the registry for a claim (or end it at its deadline): the outcome to record with
    /// the exchange it came from, or `None` when the lease was lost before the call.
    async fn process(&self, claim: &Claim, start: Start) -> Option<(Completion, Option<Message>)> {
        let now = now_ms();
        let mut message = None;
        let completion = if claim.deadline.is_some_and(|d| d <= now) {
            Completion::Failed(expired(claim.kind).into())
        } else if claim.kind == SubKind::Human {
            // A person's step is only claimed at its deadline; without one it cannot end.
            Completion::Failed(expired(claim.kind).into())
        } else {
            match self.call(claim, start).await {
                Ok((completion, exchange)) => {
                    message = exchange.map(Message::from);
                    completion
                }
                Err(PrepareError::Stopping) => return None,
                Err(PrepareError::LeaseLost) => {
                    tracing::warn!(application.id = %claim.application_id, service.id = %claim.service_id, "Lease lost before the call; another instance has it");
                    return None;
                }
                Err(e) => {
                    tracing::error!(error = ?e, application.id = %claim.application_id, service.id = %claim.service_id, "Failed to prepare a registry call");
                    // Perhaps passing (the database); if it persists, fail visibly.
                    let reason = format!("внутрішня помилка підготовки запиту: {e}");
                    self.retry(claim, &self.policies.defaults(), reason, now, None)
                }
            }
        };
        if let Completion::Held { .. } = completion {
            // Not an attempt: the registry is unavailable, which the log says once.
            tracing::debug!(application.id = %claim.application_id, service.id = %claim.service_id, "Sub-request held");
        } else {
            tracing::info!(application.id = %claim.application_id, service.id = %claim.service_id, attempt = claim.attempts, outcome = completion.name(), "Sub-request step finished");
        }
        Some((completion, message))
    }

    /// Wait for the registry and a permit, then call it, unless its gate holds the call: the
    /// outcome, and the exchange if a call went.
    async fn call(
        &self,
        claim: &Claim,
        start: Start,
    ) -> Result<(Completion, Option<Exchange>), PrepareError> {
        let probe = start == Start::Probe;
        let registry = (self.catalog)
            .registry_of(&claim.service_id)
            .ok_or(PrepareError::Missing("service"))?;
        let gate = self.gates.of(registry);
        let _waiting = gate.enter();
        if let Some(held) = held(gate, probe) {
            return Ok((held, None));
        }
        let _registry = gate.permit().await;
        let _permit = self.calls.clone().acquire_owned().await;
        // The circuit may have opened, or the instance begun to stop, while this call waited.
        if let Some(held) = held(gate, probe) {
            return Ok((held, None));
        }
        if self.stopping.is_stopping() {
            return Err(PrepareError::Stopping);
        }
        let context = self.context(claim).await?;
        // The call is built by the bundle version the application was submitted with.
        let (catalog, bundle) = (self.catalog)
            .pinned(&context.bundle_id, context.bundle_version)
            .ok_or(PrepareError::Missing("bundle version"))?;
        let service = catalog
            .service(&claim.service_id)
            .ok_or(PrepareError::Missing("service"))?;
        let step = bundle
            .step(&claim.service_id)
            .ok_or(PrepareError::Missing("bundle step"))?;
        let policy = self.policies.for_call(service, step);
        self.keep_lease(claim, policy.timeout, start).await?;
        let started = now_ms();
        let clock = std::time::Instant::now();
        let what = (service, step, bundle);
        let answered = self.exchange(claim, &context, what, policy.timeout).await?;
        let (outcome, exchange) = (answered.outcome, answered.exchange);
        let (registry, counted) = (service.registry.as_str(), outcome.counted());
        (self.telemetry).call(registry, &claim.service_id, counted, clock.elapsed());
        match &outcome {
            Outcome::Retry { after, .. } => self.gates.failed(gate, *after).await,
            _ => self.gates.answered(gate).await,
        }
        Ok((
            self.completion(claim, outcome, &policy, started),
            Some(exchange),
        ))
    }

    /// What the claim's request needs: handed over with it, or read (and its request id then
    /// put on the call's log lines).
    async fn context(&self, claim: &Claim) -> Result<Arc<CallContext>, PrepareError> {
        if let Some(context) = &claim.context {
            return Ok(context.clone());
        }
        let context = self.read_context(claim).await?;
        if let Some(id) = &context.request_id {
            tracing::Span::current().record("request_id", &**id);
        }
        Ok(Arc::new(context))
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
            bundle_version: application.bundle_version,
            data: Arc::new(application.data),
            siblings,
            acting: crate::store::acting(
                application.institution.as_deref(),
                application.submitted_by.as_deref(),
            ),
            request_id: application.request_id.map(Arc::from),
        })
    }

    /// Renew the lease when the call (up to `timeout`) could outlive it, e.g. after waiting
    /// for a busy registry. A call started early may not be `running` in the database yet (the
    /// answer that released it is still being stored), so a failed renewal does not stop it:
    /// were it really lost, its idempotency key would make the repeat harmless at the
    /// registry and the claim's fence would refuse its outcome here.
    async fn keep_lease(
        &self,
        claim: &Claim,
        timeout: Duration,
        start: Start,
    ) -> Result<(), PrepareError> {
        let now = now_ms();
        let needed = (timeout + LEASE_MARGIN).as_millis() as i64;
        if claim.locked_until - now >= needed {
            return Ok(());
        }
        let until = now + needed + self.settings.lease.as_millis() as i64;
        match self.store.renew(claim, until).await? {
            true => Ok(()),
            false if start == Start::Early => Ok(()),
            false => Err(PrepareError::LeaseLost),
        }
    }
}
