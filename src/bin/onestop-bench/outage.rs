//! A registry outage during an open-loop run (`--outage REGISTRY:SECONDS`, `--outage-at`): at
//! the chosen moment every service of that registry is told, through the sandbox's behaviour
//! endpoint, to answer 503 to every call (after its usual latency); when the time is up the
//! behaviour the run began with is put back.
//!
//! It records when the outage really began and ended, by this process's clock, which is the
//! sandbox's; it must not read or judge what the registries were asked (`registries` does).

use super::Bench;
use super::chain::Chains;
use anyhow::Context;
use onestop::bundle::Catalog;
use onestop::sandbox::{Behaviour, Behaviours};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which registry goes down, when and for how long.
#[derive(Debug, Clone)]
pub struct Outage {
    /// A registry's name, as the `registry:` of `services/*.yaml` gives it.
    pub registry: String,
    /// After the load starts.
    pub at: Duration,
    pub length: Duration,
    /// Nobody goes down: the windows only (`--outage-control`).
    pub control: bool,
}

/// When the outage was, in microseconds since the epoch: from the moment the sandbox took the
/// new behaviour to the moment it took the old one back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

/// Where a moment falls beside the outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Before,
    During,
    After,
}

impl Window {
    pub fn phase(&self, at: i64) -> Phase {
        if at < self.start {
            Phase::Before
        } else if at < self.end {
            Phase::During
        } else {
            Phase::After
        }
    }

    pub fn seconds(&self) -> f64 {
        (self.end - self.start) as f64 / 1e6
    }
}

/// The services `registry` performs: the ones the outage takes down. The example application
/// must call at least one of them, or the outage would measure nothing.
pub fn down_services(
    catalog: &Catalog,
    chains: &Chains,
    registry: &str,
) -> anyhow::Result<BTreeSet<String>> {
    let of = |name: &str| -> BTreeSet<String> {
        (catalog.services.values())
            .filter(|s| s.registry == name)
            .map(|s| s.id.as_str().to_owned())
            .collect()
    };
    let down = of(registry);
    let called: BTreeSet<&str> = chains.per_service().into_keys().collect();
    if down.iter().any(|s| called.contains(s.as_str())) {
        return Ok(down);
    }
    let registries: BTreeSet<&str> = (called.iter())
        .filter_map(|s| catalog.service(*s))
        .map(|s| s.registry.as_str())
        .collect();
    let registries = registries.into_iter().collect::<Vec<_>>().join(", ");
    if down.is_empty() {
        anyhow::bail!(
            "--outage: no service is performed by a registry \"{registry}\"; the example birth application calls {registries}"
        );
    }
    anyhow::bail!(
        "--outage: the example birth application calls no service of \"{registry}\"; it calls {registries}"
    )
}

/// Wait until the outage is due (`at` after `start`), take the registry down, wait its
/// length, and put the run's behaviour back; when each took effect.
pub async fn impose(bench: Arc<Bench>, outage: Outage, start: Instant) -> anyhow::Result<Window> {
    let usual = super::sandbox_behaviours(&bench.options)?;
    let mut down = usual.clone();
    for service in bench.down.iter().filter(|_| !outage.control) {
        let refuse = Behaviour {
            failure_rate: 1.0,
            ..usual.default.clone()
        };
        down.services.insert(service.clone(), refuse);
    }
    tokio::time::sleep_until((start + outage.at).into()).await;
    let began = behave(&bench, &down).await?;
    tokio::time::sleep(outage.length).await;
    let ended = behave(&bench, &usual).await?;
    Ok(Window {
        start: began,
        end: ended,
    })
}

/// Replace the sandbox's behaviour; the time it answered, in microseconds since the epoch.
async fn behave(bench: &Bench, behaviours: &Behaviours) -> anyhow::Result<i64> {
    let url = format!("{}/_sandbox/behaviour", bench.sandbox);
    let response = (bench.http.put(url).json(behaviours).send().await)
        .context("Failed to change the sandbox's behaviour")?;
    let status = response.status();
    anyhow::ensure!(
        status.is_success(),
        "the sandbox refused the behaviour ({status}): {}",
        response.text().await.unwrap_or_default()
    );
    Ok(jiff::Timestamp::now().as_microsecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_is_before_during_or_after_the_outage() {
        let window = Window {
            start: 10_000_000,
            end: 30_000_000,
        };
        assert_eq!(window.phase(9_999_999), Phase::Before);
        assert_eq!(window.phase(10_000_000), Phase::During);
        assert_eq!(window.phase(29_999_999), Phase::During);
        assert_eq!(window.phase(30_000_000), Phase::After);
        assert_eq!(window.seconds(), 20.0);
    }
}
