//! The dispatcher's settings, from the server's: pacing, leases, each registry's limits and
//! circuit, the default call policy.

use crate::bundle::PolicyOverride;
use crate::fanout::{Circuit, DispatchSettings, Policy, RegistryLimits};
use crate::settings::Settings;
use std::time::Duration;

pub(super) fn dispatch_settings(settings: &Settings, public_url: &str) -> DispatchSettings {
    let d = &settings.dispatcher;
    let r = &settings.registries;
    let ms = Duration::from_millis;
    let registries = r
        .overrides
        .iter()
        .map(|(name, o)| {
            let limits = RegistryLimits {
                policy: PolicyOverride {
                    max_attempts: o.max_attempts,
                    retry_for: o.retry_for_seconds.map(Duration::from_secs),
                    backoff_base: o.backoff_base_ms.map(ms),
                    backoff_cap: o.backoff_cap_ms.map(ms),
                    timeout: o.timeout_ms.map(ms),
                },
                concurrency: o.concurrency,
                rate_per_second: o.rate_per_second.filter(|r| r.is_finite() && *r > 0.0),
            };
            (name.clone(), limits)
        })
        .collect();
    DispatchSettings {
        instance: d.instance.clone().unwrap_or_else(instance_name),
        poll_interval: ms(d.poll_interval_ms),
        concurrency: d.concurrency.max(1),
        lease: ms(d.lease_ms.max(1)),
        defaults: Policy {
            timeout: ms(r.timeout_ms.max(1)),
            retry_for: Duration::from_secs(d.retry_for_seconds.max(1)),
            max_attempts: d.max_attempts.map(|n| n.max(1)),
            backoff_base: ms(d.backoff_base_ms),
            backoff_cap: ms(d.backoff_cap_ms),
        },
        registry_concurrency: r.concurrency.max(1),
        registries,
        circuit: Circuit {
            failures_to_open: r.circuit.failures_to_open.max(1),
            probe_first: ms(r.circuit.probe_first_ms.max(1)),
            probe_max: ms(r.circuit.probe_max_ms.max(r.circuit.probe_first_ms).max(1)),
            refresh: ms(r.circuit.refresh_ms.max(1)),
        },
        recheck_after: Duration::from_secs(r.recheck_after_seconds.max(1)),
        poll_every: Duration::from_secs(5),
        answer_deadline: Duration::from_secs(r.answer_deadline_hours.max(1) * 3600),
        callback_base: format!("{public_url}/api/v1/callbacks"),
    }
}

/// The host name and process id, so that claims and logs tell instances apart.
fn instance_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "onestop".into());
    format!("{host}-{}", std::process::id())
}
