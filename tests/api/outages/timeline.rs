//! What the simulated registries counted over a run, sampled at a steady pace, and when the
//! applications were sent: read as calls to a service between two moments, or in its busiest
//! window. It knows no scenario; the outage tests say what the figures must be.

use serde_json::Value;
use std::time::{Duration, Instant};

/// The sandbox's counts (`/_sandbox/stats`) over a run, and when the load and the outage came.
pub(super) struct Timeline {
    start: Instant,
    /// The counts, with the time since the start.
    samples: Vec<(Duration, Value)>,
    /// When each application was sent.
    sent: Vec<Duration>,
    /// When the registry went down (its behaviour was replaced) and came back.
    pub down: Duration,
    pub up: Duration,
}

impl Timeline {
    pub fn start() -> Self {
        Self {
            start: Instant::now(),
            samples: Vec::new(),
            sent: Vec::new(),
            down: Duration::ZERO,
            up: Duration::ZERO,
        }
    }

    /// The time since the start.
    pub fn now(&self) -> Duration {
        self.start.elapsed()
    }

    pub fn note_sample(&mut self, stats: Value) {
        self.samples.push((self.now(), stats));
    }

    pub fn note_sent(&mut self) {
        let now = self.now();
        self.sent.push(now);
    }

    /// When application `n` (in the order sent) was sent.
    pub fn sent_at(&self, n: usize) -> Duration {
        self.sent[n]
    }

    pub fn last(&self) -> &Value {
        &self.samples.last().expect("a sample").1
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Calls to `service` counted by sample `sample`.
    pub fn calls(&self, sample: usize, service: &str) -> u64 {
        calls_of(&self.samples[sample].1, service)
    }

    /// When sample `sample` was taken.
    pub fn at(&self, sample: usize) -> Duration {
        self.samples[sample].0
    }

    /// The first sample taken at `time` or later.
    pub fn first_from(&self, time: Duration) -> usize {
        let after = self.samples.iter().position(|(at, _)| *at >= time);
        after.expect("a sample after the time")
    }

    /// The last sample taken at `time` or earlier.
    pub fn last_before(&self, time: Duration) -> usize {
        let after = self.samples.iter().position(|(at, _)| *at > time);
        after.expect("a sample after the time") - 1
    }

    /// Calls to `service` counted between the first sample from `from` and the last before `to`.
    pub fn calls_between(&self, service: &str, from: Duration, to: Duration) -> u64 {
        let (first, last) = (self.first_from(from), self.last_before(to));
        self.calls(last, service) - self.calls(first, service)
    }

    /// Applications sent from `from` until before `to`.
    pub fn sent_between(&self, from: Duration, to: Duration) -> u64 {
        let sent = self.sent.iter().filter(|at| (from..to).contains(*at));
        sent.count() as u64
    }

    /// The most calls to `service` counted in `span` or less, from sample `from` on.
    pub fn busiest(&self, service: &str, from: usize, span: Duration) -> u64 {
        let mut most = 0;
        for first in from..self.samples.len() {
            let last = (first..self.samples.len())
                .take_while(|&last| self.at(last) - self.at(first) <= span)
                .last()
                .unwrap_or(first);
            most = most.max(self.calls(last, service) - self.calls(first, service));
        }
        most
    }
}

/// Calls to `service` in the sandbox's `stats`.
pub(super) fn calls_of(stats: &Value, service: &str) -> u64 {
    stats[service]["calls"].as_u64().unwrap_or(0)
}
