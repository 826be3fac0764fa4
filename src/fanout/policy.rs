//! The call policy of each registry call — timeout, attempts, back-off — and each registry's
//! concurrency limit.
//!
//! Defaults come from code and settings; a registry's settings override them, a service's
//! definition overrides its registry, and a bundle step overrides its service. This module only
//! computes; it neither calls nor stores.

use crate::bundle::{PolicyOverride, Service, Step};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The effective policy of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub timeout: Duration,
    /// Consecutive retriable failures before the sub-request fails for good.
    pub max_attempts: i64,
    /// First back-off step and its cap (exponential, full jitter).
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Policy {
    fn with(mut self, over: &PolicyOverride) -> Self {
        self.timeout = over.timeout.unwrap_or(self.timeout);
        self.max_attempts = over.max_attempts.unwrap_or(self.max_attempts);
        self.backoff_base = over.backoff_base.unwrap_or(self.backoff_base);
        self.backoff_cap = over.backoff_cap.unwrap_or(self.backoff_cap);
        self
    }

    /// How long to wait after the `failures`-th consecutive failure: capped exponential back-off
    /// with full jitter, or the registry's `Retry-After` (capped too) when it gave one.
    pub fn backoff(&self, failures: i64, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.backoff_cap);
        }
        let exp = u32::try_from(failures.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        let ceiling = self
            .backoff_base
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.backoff_cap);
        ceiling.mul_f64(rand::random::<f64>())
    }
}

/// One registry's settings: its policy overrides and how many calls it takes at once.
#[derive(Debug, Clone, Default)]
pub struct RegistryLimits {
    pub policy: PolicyOverride,
    pub concurrency: Option<usize>,
}

/// The policies of every registry, and a semaphore per registry for its concurrency limit.
pub struct Policies {
    defaults: Policy,
    registries: BTreeMap<String, PolicyOverride>,
    permits: BTreeMap<String, Arc<Semaphore>>,
    default_concurrency: usize,
    fallback: Arc<Semaphore>,
}

impl Policies {
    pub fn new(
        defaults: Policy,
        default_concurrency: usize,
        registries: &BTreeMap<String, RegistryLimits>,
        known: impl IntoIterator<Item = String>,
    ) -> Self {
        let mut permits = BTreeMap::new();
        for name in known.into_iter().chain(registries.keys().cloned()) {
            let limit = registries
                .get(&name)
                .and_then(|r| r.concurrency)
                .unwrap_or(default_concurrency);
            permits.insert(name, Arc::new(Semaphore::new(limit.max(1))));
        }
        Self {
            defaults,
            registries: registries
                .iter()
                .map(|(name, r)| (name.clone(), r.policy))
                .collect(),
            permits,
            default_concurrency,
            fallback: Arc::new(Semaphore::new(default_concurrency.max(1))),
        }
    }

    /// The policy of a call to `service` as `step` runs it.
    pub fn for_call(&self, service: &Service, step: &Step) -> Policy {
        let registry = self
            .registries
            .get(&service.registry)
            .copied()
            .unwrap_or_default();
        self.defaults
            .with(&registry)
            .with(&service.policy)
            .with(&step.policy)
    }

    /// The policy when no definition applies (a call that could not be prepared).
    pub fn defaults(&self) -> Policy {
        self.defaults
    }

    /// The semaphore limiting calls in flight to `registry`.
    pub fn permits(&self, registry: &str) -> Arc<Semaphore> {
        self.permits
            .get(registry)
            .cloned()
            .unwrap_or_else(|| self.fallback.clone())
    }

    pub fn default_concurrency(&self) -> usize {
        self.default_concurrency
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            timeout: Duration::from_secs(10),
            max_attempts: 8,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(300),
        }
    }

    #[test]
    fn back_off_grows_exponentially_under_its_cap_with_jitter() {
        let p = policy();
        for failures in 1..30 {
            let wait = p.backoff(failures, None);
            let exp = u32::try_from(failures - 1).unwrap_or(20).min(20);
            let ceiling = (p.backoff_base * 2u32.pow(exp)).min(p.backoff_cap);
            assert!(wait <= ceiling, "{failures}: {wait:?} > {ceiling:?}");
        }
        let spread: std::collections::BTreeSet<Duration> =
            (0..20).map(|_| p.backoff(5, None)).collect();
        assert!(spread.len() > 10, "full jitter spreads the waits");
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = policy();
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(300)
        );
    }

    #[test]
    fn a_step_overrides_its_service_which_overrides_its_registry() {
        let registry = PolicyOverride {
            timeout: Some(Duration::from_secs(3)),
            max_attempts: Some(4),
            ..PolicyOverride::default()
        };
        let service = PolicyOverride {
            max_attempts: Some(2),
            ..PolicyOverride::default()
        };
        let step = PolicyOverride {
            backoff_base: Some(Duration::from_millis(10)),
            ..PolicyOverride::default()
        };
        let p = policy().with(&registry).with(&service).with(&step);
        assert_eq!(p.timeout, Duration::from_secs(3));
        assert_eq!(p.max_attempts, 2);
        assert_eq!(p.backoff_base, Duration::from_millis(10));
        assert_eq!(p.backoff_cap, Duration::from_secs(300));
    }
}
