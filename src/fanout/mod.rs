//! Fan-out: take ready sub-requests from the database, call their registries in parallel, store
//! the outcomes, and let dependents go when their inputs exist.
//!
//! Everything durable lives in the database (claims are leases, the next attempt time is a
//! column), so a restarted instance picks up where a dead one stopped. This module does not
//! decide what an HTTP answer means (`registry::classify` does) nor how it is stored (`store`).

mod plan;
mod request;

pub use plan::{Plan, plan};
pub use request::build_request;

use crate::bundle::{Catalog, RetryOverride, ServiceId};
use crate::registry::{Outcome, RegistryClient};
use crate::store::{Claim, Completion, Store, StoreError, now_ms};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

/// How the dispatcher paces itself.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// How often to look for due work when nothing wakes the dispatcher earlier.
    pub poll_interval: Duration,
    /// How many registry calls may be in flight at once.
    pub concurrency: usize,
    /// How long a claim is held before another instance may take it over.
    pub lease: Duration,
    /// Attempts before a retriable failure becomes final.
    pub max_attempts: i64,
    /// First back-off step and its cap (exponential, full jitter).
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(200),
            concurrency: 32,
            lease: Duration::from_secs(60),
            max_attempts: 8,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(300),
        }
    }
}

/// The fan-out engine of one `serve` instance.
#[derive(Clone)]
pub struct Dispatcher {
    store: Store,
    catalog: Arc<Catalog>,
    client: RegistryClient,
    settings: DispatchSettings,
    wake: Arc<Notify>,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        catalog: Arc<Catalog>,
        client: RegistryClient,
        settings: DispatchSettings,
    ) -> Self {
        Self {
            store,
            catalog,
            client,
            settings,
            wake: Arc::new(Notify::new()),
        }
    }

    /// A handle to wake the dispatcher when new work was stored.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Run until the task is dropped: claim due work, call registries, record outcomes.
    pub async fn run(self) {
        let permits = Arc::new(Semaphore::new(self.settings.concurrency));
        loop {
            let free = permits.available_permits();
            let claimed = if free == 0 {
                Ok(Vec::new())
            } else {
                self.store
                    .claim(free as i64, self.settings.lease.as_millis() as i64)
                    .await
            };
            match claimed {
                Ok(claims) if !claims.is_empty() => {
                    for claim in claims {
                        let Ok(permit) = permits.clone().acquire_owned().await else {
                            return;
                        };
                        let this = self.clone();
                        tokio::spawn(async move {
                            this.process(claim).await;
                            drop(permit);
                            this.wake.notify_one();
                        });
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "Failed to claim sub-requests"),
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
    }

    async fn process(&self, claim: Claim) {
        let completion = match self.call(&claim).await {
            Ok(completion) => completion,
            Err(e) => {
                tracing::error!(error = ?e, application.id = %claim.application_id, service.id = %claim.service_id, "Failed to prepare a registry call");
                Completion::RetryAt(
                    now_ms()
                        + self
                            .backoff(claim.attempts, &RetryOverride::default())
                            .as_millis() as i64,
                    "внутрішня помилка підготовки запиту".into(),
                )
            }
        };
        tracing::info!(application.id = %claim.application_id, service.id = %claim.service_id, attempt = claim.attempts, outcome = completion_name(&completion), "Registry call finished");
        if let Err(e) = self.store.complete(&claim, &completion).await {
            tracing::error!(error = ?e, application.id = %claim.application_id, service.id = %claim.service_id, "Failed to record a registry outcome; the lease will expire and the call be repeated");
        }
    }

    async fn call(&self, claim: &Claim) -> Result<Completion, PrepareError> {
        let service_id = ServiceId(claim.service_id.clone());
        let application = self
            .store
            .application(&claim.application_id)
            .await?
            .ok_or(PrepareError::Missing("application"))?;
        let bundle = self
            .catalog
            .bundle(&application.bundle_id)
            .ok_or(PrepareError::Missing("bundle"))?;
        let step = bundle
            .step(&service_id)
            .ok_or(PrepareError::Missing("bundle step"))?;
        let service = self
            .catalog
            .service(&service_id)
            .ok_or(PrepareError::Missing("service"))?;
        let siblings = self.store.sub_requests(&claim.application_id).await?;
        let request = build_request(service, step, claim.item, &application.data, &siblings)?;
        let outcome = self
            .client
            .call(service, &claim.idempotency_key, &request, step.timeout)
            .await;
        Ok(self.completion(claim, outcome, &step.retry))
    }

    /// What to store for an outcome, under the server's retry policy as the step overrides it.
    fn completion(&self, claim: &Claim, outcome: Outcome, retry: &RetryOverride) -> Completion {
        let max_attempts = retry.max_attempts.unwrap_or(self.settings.max_attempts);
        let cap = retry.backoff_cap.unwrap_or(self.settings.backoff_cap);
        match outcome {
            Outcome::Succeeded(outputs) => Completion::Succeeded(outputs),
            Outcome::Refused(reason) => Completion::Failed(reason),
            Outcome::Retry { reason, .. } if claim.attempts >= max_attempts => {
                Completion::Failed(format!("{reason}; спроб: {}", claim.attempts))
            }
            Outcome::Retry { reason, after } => {
                let wait = after
                    .unwrap_or_else(|| self.backoff(claim.attempts, retry))
                    .min(cap);
                Completion::RetryAt(now_ms() + wait.as_millis() as i64, reason)
            }
        }
    }

    /// Capped exponential back-off with full jitter.
    fn backoff(&self, attempts: i64, retry: &RetryOverride) -> Duration {
        let base = retry.backoff_base.unwrap_or(self.settings.backoff_base);
        let cap = retry.backoff_cap.unwrap_or(self.settings.backoff_cap);
        let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        let ceiling = base.saturating_mul(2u32.saturating_pow(exp)).min(cap);
        ceiling.mul_f64(rand::random::<f64>())
    }
}

fn completion_name(completion: &Completion) -> &'static str {
    match completion {
        Completion::Succeeded(_) => "succeeded",
        Completion::Failed(_) => "failed",
        Completion::RetryAt(..) => "retry",
    }
}

/// Why a claimed sub-request could not be turned into a registry call.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the {0} of a claimed sub-request is missing")]
    Missing(&'static str),
    #[error("item {item} of \"{items}\" is missing from the application data")]
    MissingItem { items: String, item: i64 },
    #[error("input \"{input}\" is bound to \"{from}.{output}\", which has no value")]
    Unbound {
        input: String,
        from: String,
        output: String,
    },
}
