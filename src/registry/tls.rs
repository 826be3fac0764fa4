//! Mutual TLS to a Trembita security server: X-Road security servers take their clients'
//! information systems over TLS with a client certificate. The files are PEM; a CA file, when
//! given, is the only root the security server's certificate is checked against.
//!
//! Every file is read and checked here, once, with rustls itself (the certificate parses, the
//! key is one aws-lc-rs can sign with and belongs to the certificate, the CA is a usable root):
//! reqwest would take a file with no PEM in it as an empty list of roots, and a key that does
//! not fit its certificate only at the first handshake. It must not open a connection.

use reqwest::{Certificate, Identity};
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
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
    #[error("registries.trembita.tls.{field}: {path} is not usable: {reason}")]
    Unusable {
        field: &'static str,
        path: PathBuf,
        reason: String,
    },
}

impl TlsFiles {
    /// Whether any file is set.
    pub fn is_set(&self) -> bool {
        self.certificate.is_some() || self.key.is_some() || self.ca.is_some()
    }

    /// `builder` presenting the client certificate and trusting only the CA, where set; every
    /// file is read and checked now, so a wrong one stops the start (and `onestop check`).
    pub fn apply(
        &self,
        mut builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, TlsError> {
        match (&self.certificate, &self.key) {
            (Some(certificate), Some(key)) => {
                builder = builder.identity(identity(certificate, key)?)
            }
            (Some(_), None) => return Err(TlsError::Half("certificate", "key")),
            (None, Some(_)) => return Err(TlsError::Half("key", "certificate")),
            (None, None) => {}
        }
        if let Some(ca) = &self.ca {
            builder = builder.tls_certs_only(roots(ca)?);
        }
        Ok(builder)
    }
}

/// The client's identity: its certificate chain and the key that belongs to it.
fn identity(certificate: &Path, key: &Path) -> Result<Identity, TlsError> {
    let certificate_pem = read("certificate", certificate)?;
    let chain = certificates("certificate", certificate, &certificate_pem)?;
    let key_pem = read("key", key)?;
    let unusable = |field, path: &Path, reason: String| TlsError::Unusable {
        field,
        path: path.to_owned(),
        reason,
    };
    let der = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| unusable("key", key, format!("no private key in PEM ({e})")))?;
    let provider = aws_lc_rs::default_provider();
    provider
        .key_provider
        .load_private_key(der.clone_key())
        .map_err(|e| unusable("key", key, e.to_string()))?;
    rustls::sign::CertifiedKey::from_der(chain, der, &provider).map_err(|e| {
        let reason = format!("it does not go with the key {}: {e}", key.display());
        unusable("certificate", certificate, reason)
    })?;
    let mut pem = certificate_pem;
    pem.push(b'\n');
    pem.extend(key_pem);
    Identity::from_pem(&pem).map_err(|e| unusable("certificate", certificate, e.to_string()))
}

/// The CA file's certificates, each a root rustls accepts.
fn roots(ca: &Path) -> Result<Vec<Certificate>, TlsError> {
    let pem = read("ca", ca)?;
    let mut store = rustls::RootCertStore::empty();
    let mut roots = Vec::new();
    for der in certificates("ca", ca, &pem)? {
        store.add(der.clone()).map_err(|e| TlsError::Unusable {
            field: "ca",
            path: ca.to_owned(),
            reason: e.to_string(),
        })?;
        let root = Certificate::from_der(&der).map_err(|e| TlsError::Unusable {
            field: "ca",
            path: ca.to_owned(),
            reason: e.to_string(),
        })?;
        roots.push(root);
    }
    Ok(roots)
}

/// The certificates of a PEM file: at least one, all well-formed PEM.
fn certificates(
    field: &'static str,
    path: &Path,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let unusable = |reason: String| TlsError::Unusable {
        field,
        path: path.to_owned(),
        reason,
    };
    let all = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unusable(format!("bad PEM ({e})")))?;
    if all.is_empty() {
        return Err(unusable("no CERTIFICATE in PEM".into()));
    }
    Ok(all)
}

/// What a failed TLS handshake somewhere in `e`'s sources means, in plain words for the log
/// (none: `e` is not one). rustls's own text names only the alert (`received fatal alert:
/// CertificateRequired`), and hyper hides it inside an `io::Error`.
pub fn handshake_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source = Some(e);
    while let Some(cause) = source {
        let io = cause.downcast_ref::<std::io::Error>();
        let inner = io
            .and_then(|io| io.get_ref())
            .map(|e| e as &(dyn std::error::Error + 'static));
        let tls = (cause.downcast_ref::<rustls::Error>())
            .or_else(|| inner.and_then(|e| e.downcast_ref::<rustls::Error>()));
        if let Some(tls) = tls {
            return Some(explain(tls));
        }
        source = cause.source();
    }
    None
}

fn explain(e: &rustls::Error) -> String {
    use rustls::AlertDescription as Alert;
    match e {
        rustls::Error::AlertReceived(Alert::CertificateRequired) => {
            "the server requires a client certificate and none was sent (registries.trembita.tls.certificate and .key)".into()
        }
        rustls::Error::AlertReceived(
            alert @ (Alert::BadCertificate
            | Alert::UnknownCA
            | Alert::CertificateUnknown
            | Alert::CertificateExpired
            | Alert::CertificateRevoked
            | Alert::UnsupportedCertificate
            | Alert::AccessDenied),
        ) => format!(
            "the server refused the client certificate ({alert:?}; registries.trembita.tls.certificate)"
        ),
        rustls::Error::InvalidCertificate(reason) => format!(
            "the server's certificate is not trusted ({reason:?}; registries.trembita.tls.ca)"
        ),
        other => format!("the TLS handshake failed: {other}"),
    }
}

fn read(field: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Read {
        field,
        path: path.to_owned(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate and its key, as PEM, written to `dir` as `<name>.crt`/`.key`.
    fn write_pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("made");
        let (certificate, key) = (
            dir.join(format!("{name}.crt")),
            dir.join(format!("{name}.key")),
        );
        std::fs::write(&certificate, made.cert.pem()).expect("written");
        std::fs::write(&key, made.signing_key.serialize_pem()).expect("written");
        (certificate, key)
    }

    fn error_of(files: &TlsFiles) -> String {
        match files.apply(reqwest::Client::builder()) {
            Ok(_) => panic!("{files:?} accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_certificate_its_key_and_a_ca_are_accepted_and_build_a_client() {
        let dir = tempfile::tempdir().expect("dir");
        let (certificate, key) = write_pair(dir.path(), "client");
        let (ca, _) = write_pair(dir.path(), "ca");
        let files = TlsFiles {
            certificate: Some(certificate),
            key: Some(key),
            ca: Some(ca),
        };
        let builder = files.apply(reqwest::Client::builder()).expect("usable");
        builder.build().expect("a client");
    }

    #[test]
    fn a_certificate_without_its_key_is_an_error_and_so_is_a_key_without_its_certificate() {
        let dir = tempfile::tempdir().expect("dir");
        let (certificate, key) = write_pair(dir.path(), "client");
        let only_certificate = TlsFiles {
            certificate: Some(certificate),
            ..TlsFiles::default()
        };
        assert_eq!(
            error_of(&only_certificate),
            "registries.trembita.tls: certificate is set without key"
        );
        let only_key = TlsFiles {
            key: Some(key),
            ..TlsFiles::default()
        };
        assert_eq!(
            error_of(&only_key),
            "registries.trembita.tls: key is set without certificate"
        );
    }

    #[test]
    fn an_unreadable_file_is_an_error_naming_the_field_and_the_path() {
        let dir = tempfile::tempdir().expect("dir");
        let (certificate, key) = write_pair(dir.path(), "client");
        let missing = dir.path().join("missing.pem");
        let cases = [
            (
                "ca",
                TlsFiles {
                    ca: Some(missing.clone()),
                    ..TlsFiles::default()
                },
            ),
            (
                "key",
                TlsFiles {
                    certificate: Some(certificate),
                    key: Some(missing.clone()),
                    ca: None,
                },
            ),
            (
                "certificate",
                TlsFiles {
                    certificate: Some(missing.clone()),
                    key: Some(key),
                    ca: None,
                },
            ),
        ];
        for (field, files) in cases {
            let error = error_of(&files);
            let expected = format!(
                "registries.trembita.tls.{field}: cannot read {}: ",
                missing.display()
            );
            assert!(error.starts_with(&expected), "{error}");
        }
    }

    #[test]
    fn a_file_without_usable_pem_is_an_error_naming_the_field() {
        let dir = tempfile::tempdir().expect("dir");
        let (certificate, key) = write_pair(dir.path(), "client");
        let not_pem = dir.path().join("not.pem");
        std::fs::write(&not_pem, "not PEM at all\n").expect("written");
        let broken = dir.path().join("broken.pem");
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        std::fs::write(&broken, garbage).expect("written");
        let files = |certificate: Option<&Path>, key: Option<&Path>, ca: Option<&Path>| TlsFiles {
            certificate: certificate.map(Path::to_owned),
            key: key.map(Path::to_owned),
            ca: ca.map(Path::to_owned),
        };
        let cases = [
            (
                "ca",
                "no CERTIFICATE in PEM",
                files(None, None, Some(&not_pem)),
            ),
            ("ca", "", files(None, None, Some(&broken))),
            (
                "key",
                "no private key in PEM",
                files(Some(&certificate), Some(&not_pem), None),
            ),
            (
                "certificate",
                "no CERTIFICATE in PEM",
                files(Some(&not_pem), Some(&key), None),
            ),
            ("certificate", "", files(Some(&broken), Some(&key), None)),
        ];
        for (field, reason, files) in cases {
            let error = error_of(&files);
            let expected = format!("registries.trembita.tls.{field}: ");
            assert!(error.starts_with(&expected), "{error}");
            assert!(
                error.contains("is not usable: ") && error.contains(reason),
                "{error}"
            );
        }
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_an_error() {
        let dir = tempfile::tempdir().expect("dir");
        let (certificate, _) = write_pair(dir.path(), "client");
        let (_, other_key) = write_pair(dir.path(), "other");
        let files = TlsFiles {
            certificate: Some(certificate),
            key: Some(other_key),
            ca: None,
        };
        let error = error_of(&files);
        assert!(
            error.starts_with("registries.trembita.tls.certificate: "),
            "{error}"
        );
        assert!(error.contains("does not go with the key"), "{error}");
    }
}
