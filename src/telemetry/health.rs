//! Each registry's calls minute by minute over the last day, as the registries' page reads
//! them: calls, failures by kind, and durations in the buckets `/metrics` uses, so the page's
//! p50 and p95 are read from the same counts as a Prometheus `histogram_quantile` would be.

use super::{CALL_BUCKETS, CallOutcome};
use std::collections::BTreeMap;
use std::time::Duration;

/// Minutes kept: a day.
const MINUTES: usize = 24 * 60;
const MINUTE_MS: i64 = 60_000;
/// A 429 this recent means the registry is limiting calls now.
const RATE_LIMITED_FOR_MS: i64 = 60_000;

/// A span of time the page sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    FiveMinutes,
    Hour,
    Day,
}

impl Window {
    pub const ALL: [Window; 3] = [Window::FiveMinutes, Window::Hour, Window::Day];

    fn minutes(self) -> i64 {
        match self {
            Self::FiveMinutes => 5,
            Self::Hour => 60,
            Self::Day => MINUTES as i64,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FiveMinutes => "5m",
            Self::Hour => "1h",
            Self::Day => "1d",
        }
    }
}

/// One minute of one registry.
#[derive(Debug, Clone, Copy, Default)]
struct Minute {
    /// Which minute (ms since the epoch / 60 000) these counts are of.
    at: i64,
    calls: u64,
    outcomes: [u64; CallOutcome::ALL.len()],
    /// Calls per duration bucket, the last one above every bound.
    buckets: [u64; CALL_BUCKETS.len() + 1],
}

/// One registry's minutes, in a ring.
#[derive(Debug, Clone)]
struct Ring {
    minutes: Vec<Minute>,
    last_rate_limited: Option<i64>,
}

impl Default for Ring {
    fn default() -> Self {
        Self {
            minutes: vec![Minute::default(); MINUTES],
            last_rate_limited: None,
        }
    }
}

/// What the page shows of one registry over one window.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RegistryHealth {
    pub calls: u64,
    /// Seconds; `None` without calls.
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    /// Each kind of failure and its share of the calls (0 to 1), of the kinds that happened.
    pub failures: Vec<(&'static str, f64)>,
}

/// Every registry's record.
#[derive(Debug, Default)]
pub struct Health {
    registries: BTreeMap<String, Ring>,
}

impl Health {
    /// Count a call that ended at `now` (ms).
    pub fn call(&mut self, registry: &str, outcome: CallOutcome, elapsed: Duration, now: i64) {
        let ring = match self.registries.get_mut(registry) {
            Some(ring) => ring,
            None => self.registries.entry(registry.to_owned()).or_default(),
        };
        let at = now.div_euclid(MINUTE_MS);
        let minute = &mut ring.minutes[at.rem_euclid(MINUTES as i64) as usize];
        if minute.at != at {
            *minute = Minute {
                at,
                ..Minute::default()
            };
        }
        minute.calls += 1;
        let kind = CallOutcome::ALL.iter().position(|o| *o == outcome);
        if let Some(kind) = kind {
            minute.outcomes[kind] += 1;
        }
        let seconds = elapsed.as_secs_f64();
        let bucket = (CALL_BUCKETS.iter())
            .position(|bound| seconds <= *bound)
            .unwrap_or(CALL_BUCKETS.len());
        minute.buckets[bucket] += 1;
        if outcome == CallOutcome::RateLimited {
            ring.last_rate_limited = Some(now);
        }
    }

    /// The registries that have been called.
    pub fn registries(&self) -> impl Iterator<Item = &str> {
        self.registries.keys().map(String::as_str)
    }

    /// What `registry` did over `window` up to `now`.
    pub fn summary(&self, registry: &str, window: Window, now: i64) -> RegistryHealth {
        let Some(ring) = self.registries.get(registry) else {
            return RegistryHealth::default();
        };
        let last = now.div_euclid(MINUTE_MS);
        let first = last - window.minutes() + 1;
        let mut sum = Minute::default();
        for minute in ring
            .minutes
            .iter()
            .filter(|m| (first..=last).contains(&m.at))
        {
            sum.calls += minute.calls;
            for (total, n) in sum.outcomes.iter_mut().zip(minute.outcomes) {
                *total += n;
            }
            for (total, n) in sum.buckets.iter_mut().zip(minute.buckets) {
                *total += n;
            }
        }
        let failures = (CallOutcome::ALL.iter().zip(sum.outcomes))
            .filter(|(outcome, n)| outcome.failed() && *n > 0)
            .map(|(outcome, n)| (outcome.as_str(), n as f64 / sum.calls as f64))
            .collect();
        RegistryHealth {
            calls: sum.calls,
            p50: quantile(&sum.buckets, 0.5),
            p95: quantile(&sum.buckets, 0.95),
            failures,
        }
    }

    /// Whether `registry` answered 429 within the last minute before `now`.
    pub fn rate_limited(&self, registry: &str, now: i64) -> bool {
        (self.registries.get(registry))
            .and_then(|r| r.last_rate_limited)
            .is_some_and(|at| now - at <= RATE_LIMITED_FOR_MS)
    }
}

/// The `q` quantile (seconds) of calls counted per bucket, interpolated within its bucket as
/// Prometheus' `histogram_quantile` does; the highest bound for the last bucket.
fn quantile(buckets: &[u64], q: f64) -> Option<f64> {
    let total: u64 = buckets.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = q * total as f64;
    let mut below = 0u64;
    for (i, n) in buckets.iter().enumerate() {
        if (below + n) as f64 >= rank && *n > 0 {
            let Some(upper) = CALL_BUCKETS.get(i) else {
                return CALL_BUCKETS.last().copied();
            };
            let lower = if i == 0 { 0.0 } else { CALL_BUCKETS[i - 1] };
            let within = (rank - below as f64) / *n as f64;
            return Some(lower + (upper - lower) * within);
        }
        below += n;
    }
    CALL_BUCKETS.last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn a_window_sums_its_minutes_and_no_older_ones() {
        let mut health = Health::default();
        let ms = Duration::from_millis;
        health.call("tax", CallOutcome::Succeeded, ms(20), NOW - 10 * MINUTE_MS);
        health.call("tax", CallOutcome::Timeout, ms(3000), NOW - MINUTE_MS);
        health.call("tax", CallOutcome::Succeeded, ms(40), NOW);
        let recent = health.summary("tax", Window::FiveMinutes, NOW);
        assert_eq!(recent.calls, 2);
        assert_eq!(recent.failures, vec![("timeout", 0.5)]);
        assert_eq!(health.summary("tax", Window::Hour, NOW).calls, 3);
        assert_eq!(
            health.summary("civil", Window::Day, NOW),
            RegistryHealth::default()
        );
    }

    #[test]
    fn a_minute_a_day_old_is_counted_afresh() {
        let mut health = Health::default();
        let day = MINUTES as i64 * MINUTE_MS;
        health.call("tax", CallOutcome::Succeeded, Duration::ZERO, NOW - day);
        health.call("tax", CallOutcome::Succeeded, Duration::ZERO, NOW);
        assert_eq!(health.summary("tax", Window::Day, NOW).calls, 1);
    }

    #[test]
    fn quantiles_are_read_within_their_bucket() {
        // Ten calls in the 0.05–0.1 s bucket: the median is its middle.
        let mut buckets = [0u64; CALL_BUCKETS.len() + 1];
        buckets[4] = 10;
        let p50 = quantile(&buckets, 0.5).unwrap_or_default();
        assert!((p50 - 0.075).abs() < 1e-9, "{p50}");
        assert_eq!(quantile(&[0; 3], 0.5), None);
    }

    #[test]
    fn a_429_within_the_minute_is_a_limit_now() {
        let mut health = Health::default();
        health.call("tax", CallOutcome::RateLimited, Duration::ZERO, NOW);
        assert!(health.rate_limited("tax", NOW + 30_000));
        assert!(!health.rate_limited("tax", NOW + 61_000));
    }
}
