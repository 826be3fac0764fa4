//! The sandbox over mutual TLS, as a Trembita security server is reached: it presents its own
//! certificate and accepts only clients whose certificate a given CA signed. The rustls server
//! configuration is made here, from PEM files, with the aws-lc-rs provider; it must not choose
//! routes or answers (that is the rest of `sandbox`).
//!
//! A presented client certificate that is refused (another CA, expired) is logged here, with
//! rustls's reason. A handshake without any client certificate is not: rustls refuses it before
//! asking the verifier, and actix-web drops the failed handshake without a word, so only the
//! client learns of it (the `certificate required` alert, in onestop's log).

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The files of the sandbox's TLS (PEM): its certificate chain and key, and the CA whose client
/// certificates it accepts.
#[derive(Debug, Clone)]
pub struct ServerTls {
    pub certificate: PathBuf,
    pub key: PathBuf,
    pub client_ca: PathBuf,
}

/// Why the sandbox's TLS cannot be set up; `what` names the file's flag.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{what} {path}: {error}")]
    Pem {
        what: &'static str,
        path: PathBuf,
        error: rustls::pki_types::pem::Error,
    },
    #[error("{what} {path}: no {expected} in it")]
    Empty {
        what: &'static str,
        path: PathBuf,
        expected: &'static str,
    },
    #[error("{what} {path}: {error}")]
    Rejected {
        what: &'static str,
        path: PathBuf,
        error: rustls::Error,
    },
    #[error("--tls-client-ca {path}: {error}")]
    Verifier {
        path: PathBuf,
        error: rustls::server::VerifierBuilderError,
    },
}

/// A rustls server configuration presenting `tls`'s certificate and requiring a client
/// certificate signed by its CA.
pub fn server_config(tls: &ServerTls) -> Result<rustls::ServerConfig, TlsError> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for ca in certificates("--tls-client-ca", &tls.client_ca)? {
        roots.add(ca).map_err(|error| TlsError::Rejected {
            what: "--tls-client-ca",
            path: tls.client_ca.clone(),
            error,
        })?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|error| TlsError::Verifier {
            path: tls.client_ca.clone(),
            error,
        })?;
    let chain = certificates("--tls-certificate", &tls.certificate)?;
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|error| match error {
        rustls::pki_types::pem::Error::NoItemsFound => empty("--tls-key", &tls.key, "private key"),
        error => pem("--tls-key", &tls.key, error),
    })?;
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_client_cert_verifier(Arc::new(Logged(verifier)))
                .with_single_cert(chain, key)
        })
        .map_err(|error| TlsError::Rejected {
            what: "--tls-certificate",
            path: tls.certificate.clone(),
            error,
        })
}

/// The server configuration of `tls`, if given, or why the sandbox cannot start.
pub(super) fn config_for(tls: Option<&ServerTls>) -> std::io::Result<Option<rustls::ServerConfig>> {
    let config = tls.map(server_config).transpose();
    config.map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
}

/// The certificates of a PEM file: at least one.
fn certificates(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let all = CertificateDer::pem_file_iter(path)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .map_err(|error| pem(what, path, error))?;
    if all.is_empty() {
        return Err(empty(what, path, "CERTIFICATE"));
    }
    Ok(all)
}

fn pem(what: &'static str, path: &Path, error: rustls::pki_types::pem::Error) -> TlsError {
    TlsError::Pem {
        what,
        path: path.to_owned(),
        error,
    }
}

fn empty(what: &'static str, path: &Path, expected: &'static str) -> TlsError {
    TlsError::Empty {
        what,
        path: path.to_owned(),
        expected,
    }
}

/// The webpki verifier, with each refused client certificate logged (actix-web would drop the
/// failed handshake silently).
#[derive(Debug)]
struct Logged(Arc<dyn ClientCertVerifier>);

impl ClientCertVerifier for Logged {
    fn offer_client_auth(&self) -> bool {
        self.0.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.0.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.0.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verified = self.0.verify_client_cert(end_entity, intermediates, now);
        if let Err(error) = &verified {
            tracing::warn!(%error, "TLS handshake refused: the client certificate is not accepted");
        }
        verified
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CA-less set: a self-signed certificate serves as its own client CA.
    fn files(dir: &Path) -> ServerTls {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("made");
        let tls = ServerTls {
            certificate: dir.join("server.crt"),
            key: dir.join("server.key"),
            client_ca: dir.join("server.crt"),
        };
        std::fs::write(&tls.certificate, made.cert.pem()).expect("written");
        std::fs::write(&tls.key, made.signing_key.serialize_pem()).expect("written");
        tls
    }

    fn error_of(tls: &ServerTls) -> String {
        match server_config(tls) {
            Ok(_) => panic!("{tls:?} accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_certificate_its_key_and_a_client_ca_make_a_configuration() {
        let dir = tempfile::tempdir().expect("dir");
        server_config(&files(dir.path())).expect("a configuration");
    }

    #[test]
    fn a_missing_or_empty_file_is_an_error_naming_its_flag() {
        let dir = tempfile::tempdir().expect("dir");
        let good = files(dir.path());
        let missing = dir.path().join("missing.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no PEM here\n").expect("written");
        let cases = [
            (
                "--tls-client-ca",
                "I/O error",
                ServerTls {
                    client_ca: missing.clone(),
                    ..good.clone()
                },
            ),
            (
                "--tls-certificate",
                "no CERTIFICATE in it",
                ServerTls {
                    certificate: empty.clone(),
                    ..good.clone()
                },
            ),
            (
                "--tls-key",
                "no private key in it",
                ServerTls {
                    key: empty.clone(),
                    ..good.clone()
                },
            ),
            (
                "--tls-key",
                "I/O error",
                ServerTls {
                    key: missing.clone(),
                    ..good.clone()
                },
            ),
        ];
        for (flag, reason, tls) in cases {
            let error = error_of(&tls);
            assert!(error.starts_with(flag) && error.contains(reason), "{error}");
        }
    }
}
