//! The adapters of a deployment, from its settings: one per protocol in use, each registry given
//! its own protocol's (`registries.protocol`, `registries.overrides.<registry>.protocol`). What
//! the settings get wrong (a Trembita registry whose services are not declared on Trembita, a
//! client identity that is not one, TLS files that cannot be read) is found here, for the start
//! and for `onestop check` alike.

use super::adapter::{Adapter, Adapters, Protocol};
use super::soap::Subsystem;
use super::{OnestopRest, TrembitaRest, TrembitaSoap};
use crate::bundle::Catalog;
use crate::settings::{RegistrySettings, SANDBOX_TREMBITA_CLIENT};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The protocol each registry the definitions name is reached by.
pub fn protocols(settings: &RegistrySettings, catalog: &Catalog) -> BTreeMap<String, Protocol> {
    (catalog.all_services().into_iter())
        .map(|s| s.registry.clone())
        .map(|registry| {
            let protocol = (settings.overrides.get(&registry))
                .and_then(|o| o.protocol)
                .unwrap_or(settings.protocol);
            (registry, protocol)
        })
        .collect()
}

/// Everything wrong with the registry settings against the definitions.
pub fn problems(settings: &RegistrySettings, catalog: &Catalog) -> Vec<String> {
    let mut problems = Vec::new();
    let protocols = protocols(settings, catalog);
    for name in settings.overrides.keys() {
        if !protocols.contains_key(name) {
            problems.push(format!(
                "registries.overrides.{name}: no service of the definitions is performed by \"{name}\""
            ));
        }
    }
    let trembita = (protocols.values()).any(|p| p.is_trembita()) || settings.protocol.is_trembita();
    if !trembita {
        return problems;
    }
    for service in catalog.all_services() {
        let protocol = protocols[&service.registry];
        if protocol.is_trembita() && service.trembita.is_none() {
            problems.push(format!(
                "{}: registry \"{}\" is reached by {protocol}, but the service says nothing of where it lives on Trembita (trembita: in its file)",
                service.file, service.registry
            ));
        }
    }
    if let Some(client) = &settings.trembita.client
        && let Err(e) = Subsystem::parse(client)
    {
        problems.push(format!("registries.trembita.client: {e}"));
    }
    if let Err(e) = settings.trembita.tls.apply(reqwest::Client::builder()) {
        problems.push(e.to_string());
    }
    if let Some(url) = &settings.trembita.security_server {
        if reqwest::Url::parse(url).is_err() {
            problems.push(format!(
                "registries.trembita.security_server: \"{url}\" is not a URL"
            ));
        } else if url.starts_with("http://") && settings.trembita.tls.is_set() {
            problems.push(format!(
                "registries.trembita.tls is set, but the security server \"{url}\" is plain HTTP: its certificates would go unused (https://)"
            ));
        }
    }
    problems
}

/// Why the adapters could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("registry settings:\n  {}", .0.join("\n  "))]
    Settings(Vec<String>),
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error(transparent)]
    Tls(#[from] super::TlsError),
}

/// The adapters for `catalog`'s registries; `registries_url` is where onestop-REST calls go
/// (and, unless `registries.trembita.security_server` says otherwise, where the sandbox's
/// emulated security server is: `{registries_url}/trembita`).
pub fn adapters(
    settings: &RegistrySettings,
    catalog: &Catalog,
    registries_url: &str,
) -> Result<Adapters, SetupError> {
    let problems = problems(settings, catalog);
    if !problems.is_empty() {
        return Err(SetupError::Settings(problems));
    }
    let timeout = Duration::from_millis(settings.timeout_ms);
    let builder = || {
        reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
    };
    let protocols = protocols(settings, catalog);
    let mut made: BTreeMap<Protocol, Arc<dyn Adapter>> = BTreeMap::new();
    let used = (protocols.values().copied()).chain([settings.protocol]);
    for protocol in used {
        if made.contains_key(&protocol) {
            continue;
        }
        let adapter: Arc<dyn Adapter> = match protocol {
            Protocol::OnestopRest => Arc::new(OnestopRest::new(builder().build()?, registries_url)),
            Protocol::TrembitaSoap | Protocol::TrembitaRest => {
                let http = settings.trembita.tls.apply(builder())?.build()?;
                let (url, client) = trembita(settings, registries_url)?;
                match protocol {
                    Protocol::TrembitaSoap => Arc::new(TrembitaSoap::new(http, &url, client)),
                    _ => Arc::new(TrembitaRest::new(http, &url, client)),
                }
            }
        };
        made.insert(protocol, adapter);
    }
    let default = made[&settings.protocol].clone();
    let by_registry = (protocols.into_iter())
        .filter(|(_, p)| *p != settings.protocol)
        .map(|(registry, p)| (registry, made[&p].clone()))
        .collect();
    Ok(Adapters::new(default, by_registry))
}

/// The security server's address and onestop's identity there; the development defaults (the
/// sandbox's client identity, a security server over plain HTTP) are announced.
fn trembita(
    settings: &RegistrySettings,
    registries_url: &str,
) -> Result<(String, Subsystem), SetupError> {
    let url = (settings.trembita.security_server.clone())
        .unwrap_or_else(|| format!("{}/trembita", registries_url.trim_end_matches('/')));
    let client = settings.trembita.client.as_deref().unwrap_or_else(|| {
        tracing::warn!(
            client = SANDBOX_TREMBITA_CLIENT,
            "DEVELOPMENT DEFAULT: registries.trembita.client is unset; calling Trembita as the sandbox's client"
        );
        SANDBOX_TREMBITA_CLIENT
    });
    if settings.url.is_some() && url.starts_with("http://") {
        tracing::warn!(
            %url,
            "DEVELOPMENT DEFAULT: the Trembita security server is reached over plain HTTP; production security servers take mutual TLS (registries.trembita.tls)"
        );
    }
    let client = Subsystem::parse(client).map_err(|e| SetupError::Settings(vec![e]))?;
    Ok((url, client))
}
