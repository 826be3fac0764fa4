//! The call policy of each registry call — timeout, time budget, back-off — and each registry's
//! concurrency limit.
//!
//! Defaults come from code and settings; a registry's settings override them, a service's
//! definition overrides its registry, and a bundle step overrides its service. This module only
//! computes; it neither calls nor stores.

use crate::bundle::{PolicyOverride, Service, Step};
use std::collections::BTreeMap;
use std::time::Duration;

/// The effective policy of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub timeout: Duration,
    /// How long a run of retriable failures is retried, from its first attempt, before the
    /// sub-request fails for good.
    pub retry_for: Duration,
    /// An optional cap on consecutive retriable failures besides the time budget.
    pub max_attempts: Option<i64>,
    /// First back-off step and its cap (exponential, full jitter).
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Policy {
    fn with(mut self, over: &PolicyOverride) -> Self {
        self.timeout = over.timeout.unwrap_or(self.timeout);
        self.retry_for = over.retry_for.unwrap_or(self.retry_for);
        self.max_attempts = over.max_attempts.or(self.max_attempts);
        self.backoff_base = over.backoff_base.unwrap_or(self.backoff_base);
        self.backoff_cap = over.backoff_cap.unwrap_or(self.backoff_cap);
        self
    }

    /// What the `failures`-th retriable failure in a row, of a run that began at `since`, leads
    /// to at `now` (ms): the time of the next attempt, or why the call gives up. The last
    /// attempt is made at the budget's end, not skipped because the back-off would pass it.
    pub fn after_failure(
        &self,
        failures: i64,
        since: i64,
        now: i64,
        retry_after: Option<Duration>,
    ) -> Result<i64, GaveUp> {
        if self.max_attempts.is_some_and(|cap| failures >= cap) {
            return Err(GaveUp::Attempts(failures));
        }
        let end = since.saturating_add(ms(self.retry_for));
        if now >= end {
            return Err(GaveUp::Time(self.retry_for));
        }
        Ok(now
            .saturating_add(ms(self.backoff(failures, retry_after)))
            .min(end))
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

/// Why a call stopped being retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaveUp {
    /// The optional cap on attempts was reached, at this many failures in a row.
    Attempts(i64),
    /// The time budget ran out.
    Time(Duration),
}

impl GaveUp {
    /// What the failure reason gets added, for operators and the receipt.
    pub fn describe(self) -> String {
        match self {
            Self::Attempts(n) => format!("спроб: {n}"),
            Self::Time(budget) => {
                let span = jiff::SignedDuration::try_from(budget).unwrap_or_default();
                format!("повторювали {span:#} (retried for {span:#})")
            }
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// One registry's settings: its policy overrides, how many calls it takes at once and how many
/// a second at most.
#[derive(Debug, Clone, Default)]
pub struct RegistryLimits {
    pub policy: PolicyOverride,
    pub concurrency: Option<usize>,
    pub rate_per_second: Option<f64>,
}

/// The policies of every registry: the defaults and each registry's overrides.
pub struct Policies {
    defaults: Policy,
    registries: BTreeMap<String, PolicyOverride>,
}

impl Policies {
    pub fn new(defaults: Policy, registries: &BTreeMap<String, RegistryLimits>) -> Self {
        Self {
            defaults,
            registries: registries
                .iter()
                .map(|(name, r)| (name.clone(), r.policy))
                .collect(),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            timeout: Duration::from_secs(10),
            retry_for: Duration::from_secs(3600),
            max_attempts: None,
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
        assert_eq!(p.max_attempts, Some(2));
        assert_eq!(p.backoff_base, Duration::from_millis(10));
        assert_eq!(p.backoff_cap, Duration::from_secs(300));
    }

    #[test]
    fn a_failure_is_retried_until_the_time_budget_ends_and_the_last_attempt_is_at_its_end() {
        let p = Policy {
            retry_for: Duration::from_secs(60),
            backoff_base: Duration::from_secs(100),
            ..policy()
        };
        let at = p.after_failure(1, 1_000, 2_000, None).expect("a retry");
        assert!((2_000..=61_000).contains(&at), "{at}");
        assert_eq!(
            p.after_failure(9, 1_000, 59_000, Some(Duration::from_secs(30))),
            Ok(61_000)
        );
        assert_eq!(
            p.after_failure(500, 1_000, 61_000, None),
            Err(GaveUp::Time(Duration::from_secs(60))),
            "hundreds of failures are no reason to stop before the budget ends"
        );
    }

    #[test]
    fn an_attempt_cap_when_set_ends_the_retries_before_the_budget() {
        let p = Policy {
            max_attempts: Some(3),
            ..policy()
        };
        assert!(p.after_failure(2, 0, 10, None).is_ok());
        assert_eq!(p.after_failure(3, 0, 10, None), Err(GaveUp::Attempts(3)));
    }
}
