//! Mutual TLS for real: a CA, a server certificate for 127.0.0.1 and a client certificate are
//! made at run time (rcgen), the sandbox's emulated security server serves over TLS requiring a
//! client certificate that CA signed, and onestop calls it over UXP REST. With its certificate
//! a birth completes; without it every call fails as a connection error — retried until its
//! short time budget runs out, then failed, the registry named unreachable — and the log says
//! the security server asked for a certificate.

use crate::helpers::{Db, example, root, spawn_app_with};
use onestop::registry::{Protocol, TlsFiles};
use onestop::sandbox::{SandboxOptions, ServerTls};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

on_both_databases!(
    a_birth_completes_over_mutual_tls_with_the_client_certificate,
    without_the_client_certificate_the_calls_fail_as_connection_errors_after_retries,
);

/// The registration comes first; everything else waits for it.
const REGISTRATION: &str = "civil.birth-registration";
const CLIENT: &str = "SEVDEIR-TEST/GOV/12345678/ONESTOP";

/// The PEM files of one run: a CA, the security server's certificate and key (for 127.0.0.1
/// and localhost), and onestop's client certificate and key, all signed by that CA.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.distinguished_name
            .push(DnType::CommonName, "onestop test CA");
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key"))
            .expect("CA certificate");
        let write = |name: &str, pem: String| {
            std::fs::write(dir.path().join(name), pem).expect("PEM written");
        };
        write("ca.crt", ca.pem());
        let leaves = [
            ("server", "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
            ("client", CLIENT, ExtendedKeyUsagePurpose::ClientAuth),
        ];
        for (name, subject, usage) in leaves {
            let names = if name == "server" {
                vec!["127.0.0.1".to_owned(), "localhost".to_owned()]
            } else {
                Vec::new()
            };
            let mut params = CertificateParams::new(names).expect("parameters");
            params.distinguished_name.push(DnType::CommonName, subject);
            params.extended_key_usages = vec![usage];
            let key = KeyPair::generate().expect("key");
            let certificate = params.signed_by(&key, &ca).expect("signed by the CA");
            write(&format!("{name}.crt"), certificate.pem());
            write(&format!("{name}.key"), key.serialize_pem());
        }
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The sandbox's TLS: its certificate, and the CA its clients' certificates must come from.
    fn server(&self) -> ServerTls {
        ServerTls {
            certificate: self.path("server.crt"),
            key: self.path("server.key"),
            client_ca: self.path("ca.crt"),
        }
    }

    /// onestop's TLS to the security server: the CA, and its own certificate if `identified`.
    fn client(&self, identified: bool) -> TlsFiles {
        TlsFiles {
            certificate: identified.then(|| self.path("client.crt")),
            key: identified.then(|| self.path("client.key")),
            ca: Some(self.path("ca.crt")),
        }
    }
}

/// The sandbox over mutual TLS on a random port; its `https://` URL.
fn spawn_tls_sandbox(pki: &Pki) -> String {
    let catalog = onestop::bundle::compile(&root()).expect("shipped definitions compile");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("address"));
    let options = SandboxOptions {
        tls: Some(pki.server()),
        ..SandboxOptions::default()
    };
    let server = onestop::sandbox::serve(listener, Arc::new(catalog), options);
    tokio::spawn(server.expect("the sandbox starts over TLS"));
    url
}

/// onestop's settings for calling the sandbox's security server over UXP REST with `tls`, each
/// failing call retried for 2 s at most with short back-offs (and the circuit never opening,
/// so every retry reaches the security server).
fn over_trembita(settings: &mut onestop::settings::Settings, sandbox: &str, tls: TlsFiles) {
    let registries = &mut settings.registries;
    registries.url = Some(sandbox.to_owned());
    registries.protocol = Protocol::TrembitaRest;
    registries.trembita.client = Some(CLIENT.to_owned());
    registries.trembita.tls = tls;
    registries.circuit.failures_to_open = 1_000;
    settings.dispatcher.retry_for_seconds = 2;
    settings.dispatcher.backoff_base_ms = 50;
    settings.dispatcher.backoff_cap_ms = 200;
}

async fn a_birth_completes_over_mutual_tls_with_the_client_certificate(db: Db) {
    let pki = Pki::new();
    let sandbox = spawn_tls_sandbox(&pki);
    let app = spawn_app_with(db, |s| over_trembita(s, &sandbox, pki.client(true))).await;

    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;

    assert_eq!(done["status"], "completed", "{done:#}");
    let registration = service(&done, REGISTRATION);
    assert_eq!(registration["attempts"], 1, "{registration:#}");
}

async fn without_the_client_certificate_the_calls_fail_as_connection_errors_after_retries(db: Db) {
    let pki = Pki::new();
    let sandbox = spawn_tls_sandbox(&pki);
    let log = Log::default();
    let _capture = tracing::subscriber::set_default(log.subscriber());
    let app = spawn_app_with(db, |s| over_trembita(s, &sandbox, pki.client(false))).await;

    let id = app.submit_ok("birth", &example("birth")).await;
    let done = app.wait_until_done(&id).await;

    assert_eq!(
        done["status"], "failed",
        "nothing else could be done: {done:#}"
    );
    let registration = service(&done, REGISTRATION);
    assert_eq!(registration["status"], "failed", "{registration:#}");
    let attempts = registration["attempts"].as_i64().unwrap_or_default();
    assert!(
        attempts > 1,
        "a connection error is retried: {registration:#}"
    );
    let error = registration["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("реєстр недоступний") && error.contains("retried for 2s"),
        "the reason says the registry was unreachable: {registration:#}"
    );
    let text = log.text();
    let line = (text.lines())
        .find(|l| l.contains("Registry unreachable"))
        .unwrap_or_else(|| panic!("no line says the registry was unreachable:\n{text}"));
    assert!(
        line.contains("WARN")
            && line.contains("TLS handshake failed")
            && line.contains("requires a client certificate and none was sent")
            && line.contains("CertificateRequired"),
        "the line says the security server wanted a certificate: {line}"
    );
}

fn service<'a>(application: &'a Value, id: &str) -> &'a Value {
    let calls = application["services"].as_array().expect("services");
    let call = calls.iter().find(|c| c["service"] == id);
    call.unwrap_or_else(|| panic!("{id} in {application:#}"))
}

/// What the app logged on this test's thread (the test runtime runs its tasks there).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Log {
    fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        let log = self.clone();
        tracing_subscriber::fmt()
            .with_env_filter("warn,onestop=info")
            .with_ansi(false)
            .with_writer(move || log.clone())
            .finish()
    }

    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
