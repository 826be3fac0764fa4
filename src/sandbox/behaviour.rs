//! The knobs of the simulated registries: how each service misbehaves on purpose (latency,
//! failures before or after the effect, hanging after the effect, rate limiting, asynchronous
//! answers, refusals), so tests and benchmarks can prove that retries and crashes never make a
//! second effect. With no knob set a service answers at once, 200, as a well-behaved registry.
//!
//! This module describes the knobs, checks them and rolls the dice for one call; it answers no
//! call and remembers nothing (see `call` and `state`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The behaviour of every simulated service: a default, and entries by service id
/// (`tax.rnokpp-assignment`). A service's entry **replaces** the default for that service as a
/// whole, it is not merged with it field by field: `{"services": {"tax.rnokpp-assignment": {}}}`
/// makes that one service well-behaved whatever the default says.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviours {
    #[serde(default)]
    pub default: Behaviour,
    #[serde(default)]
    pub services: BTreeMap<String, Behaviour>,
}

/// How one simulated service behaves. The knobs act in the order of a call: latency, refusals
/// (400), rate limit (429), failure before the effect (503), the effect, failure after the
/// effect (503) or a hang, then the answer (200, or 202 when asynchronous).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    /// Waited before every call is answered, before its input is even looked at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
    /// The share of calls answered 503: half of them before the effect, half after it (the
    /// effect is made and its answer "lost", so only a retry with the same key learns it).
    #[serde(default)]
    pub failure_rate: f64,
    /// The share of the calls that did not fail which make the effect and then hang `hang_ms`
    /// before answering, so the caller times out.
    #[serde(default)]
    pub timeout_rate: f64,
    #[serde(default = "default_hang_ms")]
    pub hang_ms: u64,
    /// Answer a share of calls 429 with `Retry-After`, before the effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Answer 202 and give the outputs later (by polling or by a signed callback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asynchronous: Option<Asynchronous>,
    /// Refuse (400, before the effect) a request whose value at `pointer` equals `equals`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refuse: Vec<Refusal>,
}

/// How long a simulated registry thinks before answering: `{"fixed_ms": 20}`,
/// `{"uniform_ms": [10, 50]}` or `{"exponential_ms": 20}` (the mean).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Latency {
    FixedMs(u64),
    UniformMs([u64; 2]),
    ExponentialMs(f64),
}

/// `{"rate": 0.2, "retry_after_seconds": 2}`: that share of calls is answered 429.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub rate: f64,
    #[serde(default = "default_retry_after_seconds")]
    pub retry_after_seconds: u64,
}

/// `{"mode": "poll", "delay_ms": 500}`: the effect is made at the call, its outputs are given
/// `delay_ms` after the first call with that key.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Asynchronous {
    pub mode: Mode,
    #[serde(default = "default_delay_ms")]
    pub delay_ms: u64,
}

/// How an asynchronous answer is given: at a status URL (`Location`), or posted to the caller's
/// `Callback-Url` (a call without one is answered as in `poll`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Callback,
    Poll,
}

/// `{"pointer": "/child/surname", "equals": "Коваленко", "message": "…"}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    pub pointer: String,
    pub equals: Value,
    pub message: String,
}

/// One thing wrong in a behaviour, at a JSON pointer into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
}

/// Why a behaviour file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BehaviourError {
    #[error("Failed to read the sandbox behaviour file {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a sandbox behaviour: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: {}", path.display(), describe(problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

/// `pointer: message; …`, for logs and the command line.
pub fn describe(problems: &[Problem]) -> String {
    let items: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.pointer, p.message))
        .collect();
    items.join("; ")
}

const fn default_hang_ms() -> u64 {
    30_000
}

const fn default_retry_after_seconds() -> u64 {
    1
}

const fn default_delay_ms() -> u64 {
    1_000
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            latency: None,
            failure_rate: 0.0,
            timeout_rate: 0.0,
            hang_ms: default_hang_ms(),
            rate_limit: None,
            asynchronous: None,
            refuse: Vec::new(),
        }
    }
}

impl Behaviours {
    /// Read and check a JSON behaviour file.
    pub fn from_file(path: &Path) -> Result<Self, BehaviourError> {
        let text = std::fs::read_to_string(path).map_err(|source| BehaviourError::Read {
            path: path.to_owned(),
            source,
        })?;
        let behaviours: Self =
            serde_json::from_str(&text).map_err(|source| BehaviourError::Parse {
                path: path.to_owned(),
                source,
            })?;
        behaviours
            .validate()
            .map_err(|problems| BehaviourError::Invalid {
                path: path.to_owned(),
                problems,
            })?;
        Ok(behaviours)
    }

    /// The behaviour of one service: its own entry if it has one, else the default.
    pub fn for_service(&self, service: &str) -> &Behaviour {
        self.services.get(service).unwrap_or(&self.default)
    }

    /// Every value out of range, each at its pointer (`/services/tax.x/failure_rate`).
    pub fn validate(&self) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        self.default.check("/default", &mut problems);
        for (service, behaviour) in &self.services {
            let at = format!(
                "/services/{}",
                service.replace('~', "~0").replace('/', "~1")
            );
            behaviour.check(&at, &mut problems);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

impl Behaviour {
    fn check(&self, at: &str, problems: &mut Vec<Problem>) {
        let mut problem = |field: &str, message: String| {
            problems.push(Problem {
                pointer: format!("{at}/{field}"),
                message,
            });
        };
        let rates = [
            ("failure_rate", Some(self.failure_rate)),
            ("timeout_rate", Some(self.timeout_rate)),
            ("rate_limit/rate", self.rate_limit.map(|r| r.rate)),
        ];
        for (field, rate) in rates {
            if let Some(rate) = rate.filter(|r| !(0.0..=1.0).contains(r)) {
                problem(field, format!("a share must lie within 0..=1, not {rate}"));
            }
        }
        match self.latency {
            Some(Latency::UniformMs([min, max])) if min > max => problem(
                "latency/uniform_ms",
                format!("the minimum {min} is above the maximum {max}"),
            ),
            Some(Latency::ExponentialMs(mean)) if !(mean.is_finite() && mean >= 0.0) => problem(
                "latency/exponential_ms",
                format!("the mean must be a finite number of milliseconds ≥ 0, not {mean}"),
            ),
            _ => {}
        }
        for (i, refusal) in self.refuse.iter().enumerate() {
            if !(refusal.pointer.is_empty() || refusal.pointer.starts_with('/')) {
                problem(
                    &format!("refuse/{i}/pointer"),
                    format!("\"{}\" is not a JSON pointer", refusal.pointer),
                );
            }
        }
    }

    /// The rules this request breaks.
    pub(super) fn refusals(&self, request: &Value) -> Vec<&Refusal> {
        self.refuse
            .iter()
            .filter(|r| request.pointer(&r.pointer) == Some(&r.equals))
            .collect()
    }

    /// `Some(retry_after_seconds)` when this call is to be answered 429.
    pub(super) fn rate_limited(&self) -> Option<u64> {
        self.rate_limit
            .filter(|limit| rand::random::<f64>() < limit.rate)
            .map(|limit| limit.retry_after_seconds)
    }

    /// What becomes of this call once it got past the refusals and the rate limit.
    pub(super) fn roll(&self) -> Fate {
        let roll = rand::random::<f64>();
        if roll < self.failure_rate / 2.0 {
            Fate::FailBefore
        } else if roll < self.failure_rate {
            Fate::FailAfter
        } else if rand::random::<f64>() < self.timeout_rate {
            Fate::Hang(Duration::from_millis(self.hang_ms))
        } else {
            Fate::Answer
        }
    }
}

/// The dice of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    Answer,
    /// 503 before the effect is made.
    FailBefore,
    /// The effect is made, then 503.
    FailAfter,
    /// The effect is made, then the answer waits this long.
    Hang(Duration),
}

impl Latency {
    /// One draw: how long this call waits.
    pub fn sample(&self) -> Duration {
        match *self {
            Self::FixedMs(ms) => Duration::from_millis(ms),
            Self::UniformMs([a, b]) => {
                Duration::from_millis(rand::random_range(a.min(b)..=a.max(b)))
            }
            Self::ExponentialMs(mean) => {
                let uniform = rand::random::<f64>();
                let ms = -mean * (1.0 - uniform).ln();
                Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::ZERO)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_object_is_the_well_behaved_default() {
        let behaviours: Behaviours = serde_json::from_str("{}").expect("valid");
        assert_eq!(behaviours, Behaviours::default());
        assert_eq!(behaviours.default.hang_ms, 30_000);
        assert_eq!(behaviours.default.roll(), Fate::Answer);
        assert_eq!(behaviours.default.rate_limited(), None);
    }

    #[test]
    fn latencies_are_read_in_their_three_shapes() {
        let read = |text: &str| serde_json::from_str::<Latency>(text).expect("latency");
        assert_eq!(read(r#"{"fixed_ms": 20}"#), Latency::FixedMs(20));
        assert_eq!(
            read(r#"{"uniform_ms": [10, 50]}"#),
            Latency::UniformMs([10, 50])
        );
        assert_eq!(
            read(r#"{"exponential_ms": 20}"#),
            Latency::ExponentialMs(20.0)
        );
        for _ in 0..100 {
            let wait = Latency::UniformMs([10, 50]).sample();
            assert!((10..=50).contains(&wait.as_millis()), "{wait:?}");
        }
    }

    #[test]
    fn every_value_out_of_range_is_reported_at_its_pointer() {
        let behaviours: Behaviours = serde_json::from_value(serde_json::json!({
            "default": { "failure_rate": 1.5, "latency": { "uniform_ms": [50, 10] } },
            "services": { "tax.x": {
                "rate_limit": { "rate": -0.1 },
                "refuse": [{ "pointer": "child", "equals": 1, "message": "no" }]
            } }
        }))
        .expect("well-formed");
        let problems = behaviours.validate().expect_err("out of range");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/default/failure_rate",
                "/default/latency/uniform_ms",
                "/services/tax.x/rate_limit/rate",
                "/services/tax.x/refuse/0/pointer",
            ]
        );
    }

    #[test]
    fn a_behaviour_file_that_cannot_be_used_is_named_in_the_error() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("behaviour.json");
        std::fs::write(&path, r#"{"default": {"failure_rate": 2}}"#).expect("written");
        let message = Behaviours::from_file(&path)
            .expect_err("invalid")
            .to_string();
        assert!(message.contains("behaviour.json"), "{message}");
        assert!(message.contains("/default/failure_rate"), "{message}");
        std::fs::write(&path, r#"{"defualt": {}}"#).expect("written");
        let message = Behaviours::from_file(&path)
            .expect_err("unknown field")
            .to_string();
        assert!(
            message.contains("behaviour.json") && message.contains("defualt"),
            "{message}"
        );
        let missing = dir.path().join("missing.json");
        let message = Behaviours::from_file(&missing)
            .expect_err("missing")
            .to_string();
        assert!(message.contains("missing.json"), "{message}");
    }
}
