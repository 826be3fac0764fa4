//! What each kind of trouble through Trembita means for a call, over real HTTP: a security
//! server answering with a SOAP fault of each class (or an UXP error), an HTTP 500 with a fault,
//! a wrapped answer's result codes 1, 2 and 5, an answer that is not XML — each classified as
//! `docs/registry-protocols.md` says, refusals in Ukrainian.

use onestop::bundle::Catalog;
use onestop::registry::soap::{self, Envelope, Fault, Subsystem};
use onestop::registry::{Adapter, Call, Outcome, TrembitaRest, TrembitaSoap};
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const CLIENT: &str = "SEVDEIR-TEST/GOV/12345678/ONESTOP";

fn catalog() -> Catalog {
    onestop::bundle::compile(&crate::helpers::root()).expect("shipped definitions compile")
}

/// Call `service` through the SOAP adapter pointed at `server`.
async fn soap_call(server: &MockServer, catalog: &Catalog, service: &str) -> Outcome {
    let adapter = TrembitaSoap::new(
        reqwest::Client::new(),
        &server.uri(),
        Subsystem::parse(CLIENT).expect("client"),
    );
    call(&adapter, catalog, service).await
}

async fn call(adapter: &dyn Adapter, catalog: &Catalog, service: &str) -> Outcome {
    let service = catalog.service(service).expect("a shipped service");
    let request = json!({});
    let call = Call {
        service,
        request: &request,
        idempotency_key: "0193a000-0000-7000-8000-000000000001:service:0",
        callback_url: None,
        application: "0193a000-0000-7000-8000-000000000001",
        user: "clerk",
        purposes: &[],
        timeout: Duration::from_secs(5),
        trembita: service.trembita.as_ref(),
        request_id: None,
    };
    adapter.call(call).await.outcome
}

/// A security server that answers every call with `status` and a fault.
async fn faulting(status: u16, code: &str, string: &str) -> MockServer {
    let fault = soap::fault(&Fault {
        code: code.into(),
        string: string.into(),
        detail: None,
    });
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(fault, "text/xml; charset=utf-8"))
        .mount(&server)
        .await;
    server
}

/// A registry that wraps its answer: echoes the request's header and answers `fields`.
struct Wrapped(Value);

impl Respond for Wrapped {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let Ok(Envelope::Message { header, .. }) = soap::parse(&request.body) else {
            return ResponseTemplate::new(400);
        };
        let mut header = *header;
        let hash = onestop::registry::digest(&request.body);
        header.request_hash = Some((hash, soap::SHA512.into()));
        let body = soap::response(&header, "https://example.invalid/dracs", &self.0);
        ResponseTemplate::new(200).set_body_raw(body, "text/xml; charset=utf-8")
    }
}

async fn wrapped(fields: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Wrapped(fields))
        .mount(&server)
        .await;
    server
}

fn retried(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Retry { .. })
}

fn refusal(outcome: Outcome) -> String {
    match outcome {
        Outcome::Refused(reason) => reason,
        other => panic!("a refusal, not {other:?}"),
    }
}

#[tokio::test]
async fn security_server_faults_are_retried_where_a_repeat_may_help_and_refused_where_not() {
    let catalog = catalog();
    let tax = "tax.rnokpp-assignment";
    for code in [
        "Server.ClientProxy.NetworkError",
        "Server.ServerProxy.NetworkError",
        "Server.ClientProxy.IOError",
        "Server.ServerProxy.ServiceFailed",
        "Server.ServerProxy.DatabaseError",
    ] {
        let server = faulting(500, code, "trouble").await;
        let outcome = soap_call(&server, &catalog, tax).await;
        assert!(retried(&outcome), "{code}: {outcome:?}");
    }
    let refused = [
        (
            "Server.ServerProxy.AccessDenied",
            "доступ до послуги не надано",
        ),
        ("Server.ClientProxy.UnknownService", "послуга невідома"),
        (
            "Server.ClientProxy.InvalidProtocolVersion",
            "версія протоколу",
        ),
        ("Client.InvalidSoap", "не відповідає протоколу SOAP"),
    ];
    for (code, meaning) in refused {
        let server = faulting(500, code, "Request is not allowed").await;
        let reason = refusal(soap_call(&server, &catalog, tax).await);
        assert!(reason.starts_with("Трембіта відмовила"), "{reason}");
        assert!(
            reason.contains(code) && reason.contains(meaning),
            "{reason}"
        );
    }
}

#[tokio::test]
async fn a_registrys_own_fault_is_retried_as_a_server_error_and_refused_as_a_client_error() {
    let catalog = catalog();
    let server = faulting(500, "SOAP-ENV:Server", "База даних недоступна").await;
    let outcome = soap_call(&server, &catalog, "tax.rnokpp-assignment").await;
    assert!(retried(&outcome), "{outcome:?}");
    let server = faulting(500, "SOAP-ENV:Client", "Невірний формат дати").await;
    let reason = refusal(soap_call(&server, &catalog, "tax.rnokpp-assignment").await);
    assert!(reason.contains("Невірний формат дати"), "{reason}");
}

#[tokio::test]
async fn result_codes_one_two_and_five_are_a_retry_and_two_refusals_with_the_registrys_words() {
    let catalog = catalog();
    let civil = "civil.birth-registration";
    let answer = |code: i64, message: &str| json!({ "ResultCode": code, "ResultData": "", "ResultMessage": message });
    let server = wrapped(answer(1, "Сервіс тимчасово недоступний")).await;
    let outcome = soap_call(&server, &catalog, civil).await;
    let Outcome::Retry { reason, .. } = &outcome else {
        panic!("a retry, not {outcome:?}");
    };
    assert!(
        reason.contains("внутрішня помилка реєстру (ResultCode 1)"),
        "{reason}"
    );
    let server = wrapped(answer(2, "Немає прав на внесення запису")).await;
    let reason = refusal(soap_call(&server, &catalog, civil).await);
    assert_eq!(
        reason,
        "реєстр відмовив: дію не дозволено (ResultCode 2): Немає прав на внесення запису"
    );
    let server = wrapped(answer(5, "Дата народження пізніша за дату реєстрації")).await;
    let reason = refusal(soap_call(&server, &catalog, civil).await);
    assert!(
        reason.contains("дані не пройшли перевірку (ResultCode 5)"),
        "{reason}"
    );
    assert!(reason.contains("Дата народження пізніша"), "{reason}");
}

#[tokio::test]
async fn an_answer_that_is_not_xml_is_retried_as_a_nonsense_answer() {
    let catalog = catalog();
    for (status, body) in [(200, "OK"), (502, "<html><body>Bad Gateway</body></html>")] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_string(body))
            .mount(&server)
            .await;
        let outcome = soap_call(&server, &catalog, "tax.rnokpp-assignment").await;
        assert!(retried(&outcome), "{status} {body}: {outcome:?}");
    }
}

#[tokio::test]
async fn an_uxp_error_is_classified_by_its_code_and_a_registrys_503_is_retried() {
    let catalog = catalog();
    let adapter = |server: &MockServer| {
        TrembitaRest::new(
            reqwest::Client::new(),
            &server.uri(),
            Subsystem::parse(CLIENT).expect("client"),
        )
    };
    let server = MockServer::start().await;
    let error = json!({ "type": "Server.ServerProxy.AccessDenied", "message": "not allowed" });
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("Uxp-Error", "Server.ServerProxy.AccessDenied")
                .set_body_json(error),
        )
        .mount(&server)
        .await;
    let reason = refusal(call(&adapter(&server), &catalog, "tax.rnokpp-assignment").await);
    assert!(reason.contains("доступ до послуги не надано"), "{reason}");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let outcome = call(&adapter(&server), &catalog, "tax.rnokpp-assignment").await;
    assert!(retried(&outcome), "{outcome:?}");
}

/// The UXP headers of one call, as a golden file: a change of the wire format is deliberate.
#[test]
fn the_uxp_headers_of_a_call_are_as_recorded() {
    let catalog = catalog();
    let service = catalog
        .service("civil.birth-registration")
        .expect("a shipped service");
    let request = json!({ "mother": { "surname": "Шевченко", "rnokpp": "3440712340" } });
    let purposes = [
        "birth-registration".to_owned(),
        "social-assistance".to_owned(),
    ];
    let call = Call {
        service,
        request: &request,
        idempotency_key: "0193a000-0000-7000-8000-000000000001:civil.birth-registration:0",
        callback_url: None,
        application: "0193a000-0000-7000-8000-000000000001",
        user: "clerk",
        purposes: &purposes,
        timeout: Duration::from_secs(5),
        trembita: service.trembita.as_ref(),
        request_id: None,
    };
    let client = Subsystem::parse(CLIENT).expect("client");
    let headers = onestop::registry::uxp_headers(&client, &call).expect("a declared service");
    let text: Vec<String> = headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    insta::assert_snapshot!(text.join("\n"));
}
