//! Mutual TLS to a Trembita security server: X-Road security servers take their clients'
//! information systems over TLS with a client certificate. The files are PEM; a CA file, when
//! given, is the only root the security server's certificate is checked against.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `registries.trembita.tls`: the client's certificate and key, and the security server's CA.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    pub certificate: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub ca: Option<PathBuf>,
}

/// Why the TLS files cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("registries.trembita.tls: {0} is set without {1}")]
    Half(&'static str, &'static str),
    #[error("registries.trembita.tls.{field}: cannot read {path}: {error}")]
    Read {
        field: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("registries.trembita.tls.{field}: {path} is not usable PEM: {error}")]
    Pem {
        field: &'static str,
        path: PathBuf,
        error: reqwest::Error,
    },
}

impl TlsFiles {
    /// Whether any file is set.
    pub fn is_set(&self) -> bool {
        self.certificate.is_some() || self.key.is_some() || self.ca.is_some()
    }

    /// `builder` presenting the client certificate and trusting only the CA, where set; every
    /// file is read and parsed now, so a wrong one stops the start (and `onestop check`).
    pub fn apply(
        &self,
        mut builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, TlsError> {
        match (&self.certificate, &self.key) {
            (Some(certificate), Some(key)) => {
                let mut pem = read("certificate", certificate)?;
                pem.push(b'\n');
                pem.extend(read("key", key)?);
                let identity =
                    reqwest::Identity::from_pem(&pem).map_err(|error| TlsError::Pem {
                        field: "certificate",
                        path: certificate.clone(),
                        error,
                    })?;
                builder = builder.identity(identity);
            }
            (Some(_), None) => return Err(TlsError::Half("certificate", "key")),
            (None, Some(_)) => return Err(TlsError::Half("key", "certificate")),
            (None, None) => {}
        }
        if let Some(ca) = &self.ca {
            let pem = read("ca", ca)?;
            let certificates =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|error| TlsError::Pem {
                    field: "ca",
                    path: ca.clone(),
                    error,
                })?;
            builder = builder.tls_certs_only(certificates);
        }
        Ok(builder)
    }
}

fn read(field: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Read {
        field,
        path: path.to_owned(),
        error,
    })
}
