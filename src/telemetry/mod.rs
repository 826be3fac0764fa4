//! What this instance counts about its work: every registry call (its registry, service,
//! outcome and duration), the writer's batch sizes, the registries' refused callbacks. The same
//! record feeds two readers: `/metrics` in the Prometheus text format (`metrics` with the
//! `metrics-exporter-prometheus` recorder, one per instance, rendered by an actix route) and
//! the registries' health page (`health`: per registry, per minute, for the last day).
//!
//! Recording is a few hash lookups and additions; nothing here does I/O. The figures the
//! database holds (calls waiting, applications by status) are read when asked (`Gauges`).

mod health;

pub use health::{Health, RegistryHealth, Window};

use metrics::{Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use std::sync::Mutex;
use std::time::Duration;

/// The histogram buckets of call durations (seconds): the health page reads its quantiles
/// from the same buckets.
pub const CALL_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The writer's batch sizes (jobs).
const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

const CALL_DURATION: &str = "onestop_registry_call_duration_seconds";
const CALLS: &str = "onestop_registry_calls_total";
const BATCH_SIZE: &str = "onestop_writer_batch_size";
const CALLBACKS_REJECTED: &str = "onestop_callbacks_rejected_total";

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// How a registry call ended, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallOutcome {
    Succeeded,
    /// 202: the registry will answer later.
    Accepted,
    /// A 4xx other than 408 and 429: the registry refused.
    Refused,
    Timeout,
    /// 5xx.
    ServerError,
    /// 429.
    RateLimited,
    /// No connection.
    Unreachable,
    /// An answer that is not one (not JSON, not the declared outputs).
    BadAnswer,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 8] = [
        Self::Succeeded,
        Self::Accepted,
        Self::Refused,
        Self::Timeout,
        Self::ServerError,
        Self::RateLimited,
        Self::Unreachable,
        Self::BadAnswer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Accepted => "accepted",
            Self::Refused => "refused",
            Self::Timeout => "timeout",
            Self::ServerError => "server_error",
            Self::RateLimited => "rate_limited",
            Self::Unreachable => "unreachable",
            Self::BadAnswer => "bad_answer",
        }
    }

    /// Whether the call failed (anything but an answer or an acceptance).
    pub fn failed(self) -> bool {
        !matches!(self, Self::Succeeded | Self::Accepted)
    }
}

/// What the database says when `/metrics` is read.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// Calls by status, of those in the queue (`ready`, `running`, `awaiting`).
    pub sub_requests: Vec<(String, i64)>,
    /// How long the oldest due call has waited (seconds; 0 when none waits).
    pub oldest_due_seconds: f64,
    /// Applications by bundle and status.
    pub applications: Vec<(String, String, i64)>,
}

/// The instance's record.
pub struct Telemetry {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    health: Mutex<Health>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self::new()
    }
}

impl Telemetry {
    pub fn new() -> Self {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(CALL_DURATION.into()), &CALL_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(BATCH_SIZE.into()), &BATCH_BUCKETS)
            });
        // The buckets are constants, never empty: the builder cannot refuse them.
        let recorder = builder
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        Self {
            recorder,
            handle,
            health: Mutex::new(Health::default()),
        }
    }

    /// A registry call ended with `outcome` after `elapsed`.
    pub fn call(&self, registry: &str, service: &str, outcome: CallOutcome, elapsed: Duration) {
        let labels = vec![
            Label::new("registry", registry.to_owned()),
            Label::new("service", service.to_owned()),
            Label::new("outcome", outcome.as_str()),
        ];
        let key = Key::from_parts(CALL_DURATION, labels.clone());
        (self.recorder.register_histogram(&key, &METADATA)).record(elapsed.as_secs_f64());
        let key = Key::from_parts(CALLS, labels);
        self.recorder.register_counter(&key, &METADATA).increment(1);
        let now = crate::store::now_ms();
        self.health().call(registry, outcome, elapsed, now);
    }

    /// The writer stored a batch of `jobs`.
    pub fn writer_batch(&self, jobs: usize) {
        let key = Key::from_name(BATCH_SIZE);
        (self.recorder.register_histogram(&key, &METADATA)).record(jobs as f64);
    }

    /// A registry's callback was refused (unknown link, bad signature, not an answer).
    pub fn callback_rejected(&self) {
        let key = Key::from_name(CALLBACKS_REJECTED);
        self.recorder.register_counter(&key, &METADATA).increment(1);
    }

    /// The Prometheus text of everything counted, with the database's `gauges`.
    pub fn render(&self, gauges: &Gauges) -> String {
        let gauge = |name: &'static str, labels: Vec<Label>, value: f64| {
            let key = Key::from_parts(name, labels);
            self.recorder.register_gauge(&key, &METADATA).set(value);
        };
        for status in ["ready", "running", "awaiting"] {
            let n = (gauges.sub_requests.iter())
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            gauge(
                "onestop_sub_requests",
                vec![Label::new("status", status)],
                n as f64,
            );
        }
        gauge(
            "onestop_oldest_due_seconds",
            Vec::new(),
            gauges.oldest_due_seconds,
        );
        for (bundle, status, n) in &gauges.applications {
            let labels = vec![
                Label::new("bundle", bundle.clone()),
                Label::new("status", status.clone()),
            ];
            gauge("onestop_applications_total", labels, *n as f64);
        }
        self.handle.render()
    }

    /// The health record, for reading or adding to.
    pub fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|e| e.into_inner())
    }
}
