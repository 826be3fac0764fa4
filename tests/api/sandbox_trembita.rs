//! The sandbox as a Trembita security server: X-Road SOAP at `/trembita`, UXP REST at
//! `/trembita/restapi`, each service's WSDL; protocol mistakes answered with X-Road's codes,
//! one effect per message id, the civil registry's wrapped answer, and calls counted per
//! protocol.

use crate::helpers::{self, example};
use base64::Engine;
use onestop::registry::soap::{self, Envelope};
use onestop::registry::xml;
use onestop::sandbox::SandboxOptions;
use serde_json::{Value, json};
use sha2::Digest;

const RNOKPP: &str = "tax.rnokpp-assignment";
const BIRTH: &str = "civil.birth-registration";
const CLIENT: &str = "SEVDEIR-TEST/GOV/12345678/ONESTOP";

/// A message to a service: who it names, how, and what it carries.
#[derive(Clone)]
struct Message {
    /// `<member class>/<member code>/<subsystem>/<service code>/<version>`.
    service: &'static str,
    body_element: &'static str,
    namespace: String,
    id: String,
    protocol_version: &'static str,
    /// A header field left out.
    without: Option<&'static str>,
    input: Value,
}

impl Message {
    fn rnokpp(id: &str) -> Self {
        Self {
            service: "GOV/43005393/DRFO/AssignRnokpp/v1",
            body_element: "AssignRnokpp",
            namespace: format!("https://onestop.invalid/trembita/{RNOKPP}"),
            id: id.to_owned(),
            protocol_version: "4.0",
            without: None,
            input: rnokpp_request(),
        }
    }

    fn birth(id: &str, input: Value) -> Self {
        Self {
            service: "GOV/00015622/DRACS/RegisterBirth/v1",
            body_element: "RegisterBirth",
            namespace: format!("https://onestop.invalid/trembita/{BIRTH}"),
            input,
            ..Self::rnokpp(id)
        }
    }

    /// The envelope, written by hand as a Trembita client writes it.
    fn envelope(&self) -> String {
        let parts: Vec<&str> = self.service.split('/').collect();
        let field = |name: &str, xml: String| match self.without == Some(name) {
            true => String::new(),
            false => xml,
        };
        let mut children = String::new();
        xml::write_children(&mut children, &self.input);
        let client = field("client", "<xrd:client id:objectType=\"SUBSYSTEM\"><id:xRoadInstance>SEVDEIR-TEST</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>12345678</id:memberCode><id:subsystemCode>ONESTOP</id:subsystemCode></xrd:client>".into());
        let service = field(
            "service",
            format!(
                "<xrd:service id:objectType=\"SERVICE\"><id:xRoadInstance>SEVDEIR-TEST</id:xRoadInstance><id:memberClass>{}</id:memberClass><id:memberCode>{}</id:memberCode><id:subsystemCode>{}</id:subsystemCode><id:serviceCode>{}</id:serviceCode><id:serviceVersion>{}</id:serviceVersion></xrd:service>",
                parts[0], parts[1], parts[2], parts[3], parts[4]
            ),
        );
        let id = field("id", format!("<xrd:id>{}</xrd:id>", self.id));
        let version = field(
            "protocolVersion",
            format!(
                "<xrd:protocolVersion>{}</xrd:protocolVersion>",
                self.protocol_version
            ),
        );
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"{}\" xmlns:xrd=\"{}\" xmlns:id=\"{}\"><SOAP-ENV:Header>{client}{service}{id}<xrd:userId>UA1234567890</xrd:userId><xrd:issue>BR-2026-000001</xrd:issue>{version}</SOAP-ENV:Header><SOAP-ENV:Body><ns:{el} xmlns:ns=\"{}\">{children}</ns:{el}></SOAP-ENV:Body></SOAP-ENV:Envelope>",
            soap::SOAP_ENV,
            soap::XROAD,
            soap::IDENTIFIERS,
            self.namespace,
            el = self.body_element,
        )
    }
}

fn rnokpp_request() -> Value {
    let data = example("birth")["data"].clone();
    json!({ "birth_act_record_number": "101", "child": data["children"][0], "mother": data["mother"], "residence": data["residence"] })
}

fn birth_request() -> Value {
    let data = example("birth")["data"].clone();
    json!({ "child": data["children"][0], "mother": data["mother"], "father": data["father"], "residence": data["residence"], "paternity": data["paternity"] })
}

struct SecurityServer {
    url: String,
    client: reqwest::Client,
}

fn spawn(behaviours: Value) -> SecurityServer {
    let options = SandboxOptions {
        behaviours: serde_json::from_value(behaviours).expect("a valid behaviour"),
        ..SandboxOptions::default()
    };
    SecurityServer {
        url: helpers::spawn_sandbox(options),
        client: reqwest::Client::new(),
    }
}

/// An answer: its status, its bytes, and the envelope they hold.
struct Answer {
    status: u16,
    envelope: Envelope,
}

impl SecurityServer {
    async fn post_soap(&self, body: String) -> Answer {
        let response = (self.client.post(format!("{}/trembita", self.url)))
            .header("Content-Type", "text/xml; charset=utf-8")
            .body(body)
            .send()
            .await
            .expect("SOAP call");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        let envelope = soap::parse(&bytes).expect("the answer is an envelope");
        Answer { status, envelope }
    }

    async fn soap(&self, message: &Message) -> Answer {
        self.post_soap(message.envelope()).await
    }

    async fn stats(&self, service: &str) -> Value {
        let stats: Value = (self.client.get(format!("{}/_sandbox/stats", self.url)))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("JSON");
        stats[service].clone()
    }

    fn uxp(&self, service: &str, query_id: &str) -> reqwest::RequestBuilder {
        (self.client.post(format!("{}/trembita/restapi", self.url)))
            .header("Uxp-Client", CLIENT)
            .header("Uxp-Service", format!("SEVDEIR-TEST/{service}"))
            .header("Uxp-QueryID", query_id)
    }
}

fn fault_code(answer: &Answer) -> String {
    match &answer.envelope {
        Envelope::Fault(fault) => fault.code.clone(),
        Envelope::Message { .. } => panic!("a fault was expected"),
    }
}

/// The body element of an answer, with its header.
fn message(answer: Answer) -> (soap::Header, xml::Element) {
    match answer.envelope {
        Envelope::Message { header, body } => (*header, body),
        Envelope::Fault(fault) => panic!("an answer was expected, not {fault:?}"),
    }
}

fn catalog() -> onestop::bundle::Catalog {
    onestop::bundle::compile(&helpers::root()).expect("shipped definitions compile")
}

#[tokio::test]
async fn a_soap_call_is_answered_with_its_header_echoed_the_request_hash_and_valid_outputs() {
    let server = spawn(json!({}));
    let request = Message::rnokpp("5f0c3a52-6a0e-4a43-9a63-0d6f5f3b1c01");
    let bytes = request.envelope();
    let answer = server.post_soap(bytes.clone()).await;
    assert_eq!(answer.status, 200);
    let (header, body) = message(answer);
    assert_eq!(header.id, request.id);
    assert_eq!(header.client.path(), CLIENT);
    assert_eq!(header.service.code, "AssignRnokpp");
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(bytes));
    assert_eq!(header.request_hash, Some((hash, soap::SHA512.to_owned())));
    assert_eq!(body.name, "AssignRnokppResponse");
    let catalog = catalog();
    let service = catalog.service(RNOKPP).expect("service");
    let outputs = soap::outputs(&body, &service.output_shape);
    assert!(service.output_validator.is_valid(&outputs), "{outputs:#}");
}

#[tokio::test]
async fn the_same_xrd_id_twice_makes_one_effect_and_the_same_answer() {
    let server = spawn(json!({}));
    let request = Message::rnokpp("0b6f7a4e-1d2c-4f7e-8a55-3c2d1e0f9a10");
    let (_, first) = message(server.soap(&request).await);
    let (_, second) = message(server.soap(&request).await);
    assert_eq!(first, second);
    let stats = server.stats(RNOKPP).await;
    assert_eq!((&stats["calls"], &stats["effects"]), (&json!(2), &json!(1)));
}

#[tokio::test]
async fn each_protocol_mistake_gets_its_x_road_fault_code() {
    let server = spawn(json!({}));
    let good = Message::rnokpp("a-message");
    let cases = [
        ("not XML", "this is not XML".to_owned(), "Client.InvalidXml"),
        (
            "no id",
            Message {
                without: Some("id"),
                ..good.clone()
            }
            .envelope(),
            "Server.ClientProxy.MissingHeaderField",
        ),
        (
            "protocol 3.1",
            Message {
                protocol_version: "3.1",
                ..good.clone()
            }
            .envelope(),
            "Server.ClientProxy.InvalidProtocolVersion",
        ),
        (
            "unknown service",
            Message {
                service: "GOV/43005393/DRFO/AssignNothing/v1",
                body_element: "AssignNothing",
                ..good.clone()
            }
            .envelope(),
            "Server.ServerProxy.UnknownService",
        ),
        (
            "wrong body",
            Message {
                body_element: "AssignUnzr",
                ..good.clone()
            }
            .envelope(),
            "Client.InvalidBody",
        ),
    ];
    for (case, body, code) in cases {
        let answer = server.post_soap(body).await;
        assert_eq!(answer.status, 500, "{case}");
        assert_eq!(fault_code(&answer), code, "{case}");
    }
    assert_eq!(
        server.stats(RNOKPP).await,
        Value::Null,
        "no mistake reached the registry"
    );
}

#[tokio::test]
async fn an_unwrapped_registry_refuses_with_a_client_fault_and_fails_with_service_failed() {
    let refusing = spawn(json!({ "services": { RNOKPP: { "refuse": [
        { "pointer": "/birth_act_record_number", "equals": "101", "message": "актовий запис не знайдено" }
    ] } } }));
    let answer = refusing.soap(&Message::rnokpp("refused")).await;
    assert_eq!(
        (answer.status, fault_code(&answer)),
        (500, "SOAP-ENV:Client".to_owned())
    );
    let Envelope::Fault(fault) = answer.envelope else {
        unreachable!()
    };
    assert!(
        fault.string.contains("актовий запис не знайдено"),
        "{fault:?}"
    );

    let failing = spawn(json!({ "default": { "failure_rate": 1.0 } }));
    let answer = failing.soap(&Message::rnokpp("failed")).await;
    assert_eq!(
        (answer.status, fault_code(&answer)),
        (500, "Server.ServerProxy.ServiceFailed".to_owned())
    );
}

#[tokio::test]
async fn the_civil_registry_answers_result_code_0_with_result_data_the_adapter_reads() {
    let server = spawn(json!({}));
    let answer = server
        .soap(&Message::birth("birth-1", birth_request()))
        .await;
    assert_eq!(answer.status, 200);
    let (_, body) = message(answer);
    assert_eq!(body.name, "RegisterBirthResponse");
    let fields = soap::outputs(&body, &onestop::form::Shape::Any);
    assert_eq!(
        fields["ResultCode"].to_string().trim_matches('"'),
        "0",
        "{fields:#}"
    );
    let catalog = catalog();
    let service = catalog.service(BIRTH).expect("service");
    let declared = service.trembita.as_ref().and_then(|t| t.answer.as_ref());
    let outcome = onestop::registry::wrapped::read(service, declared.expect("wrapped"), &fields);
    let onestop::registry::Outcome::Succeeded(outputs) = outcome else {
        panic!("succeeded: {outcome:?}");
    };
    assert!(outputs["act_record_number"].is_string(), "{outputs:#}");
}

#[tokio::test]
async fn a_refusal_rule_makes_the_civil_registry_answer_result_code_5_with_its_words() {
    let server = spawn(json!({ "services": { BIRTH: { "refuse": [
        { "pointer": "/child/surname", "equals": "Коваленко", "message": "прізвище не відповідає медичному висновку" }
    ] } } }));
    let answer = server
        .soap(&Message::birth("birth-2", birth_request()))
        .await;
    assert_eq!(answer.status, 200);
    let (_, body) = message(answer);
    let fields = soap::outputs(&body, &onestop::form::Shape::Any);
    assert_eq!(
        fields["ResultCode"].to_string().trim_matches('"'),
        "5",
        "{fields:#}"
    );
    let words = fields["ResultMessage"].as_str().unwrap_or_default();
    assert!(words.contains("прізвище не відповідає"), "{fields:#}");
    assert_eq!(server.stats(BIRTH).await["effects"], 0);
}

#[tokio::test]
async fn an_asynchronous_registry_is_waited_out_since_soap_is_synchronous() {
    let server =
        spawn(json!({ "default": { "asynchronous": { "mode": "poll", "delay_ms": 300 } } }));
    let started = std::time::Instant::now();
    let answer = server.soap(&Message::rnokpp("held")).await;
    assert_eq!(answer.status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(message(answer).1.name, "AssignRnokppResponse");
}

#[tokio::test]
async fn a_uxp_rest_call_is_answered_with_its_query_id_and_request_hash_and_its_headers_kept() {
    let server = spawn(json!({}));
    let body = serde_json::to_vec(&rnokpp_request()).expect("JSON");
    let response = (server.uxp("GOV/43005393/DRFO/AssignRnokpp/v1", "query-1"))
        .header("Uxp-Purpose-Ids", "birth-registration")
        .header("Uxp-Subject-Id", "3012345678")
        .header("Content-Type", "application/json")
        .body(body.clone())
        .send()
        .await
        .expect("UXP call");
    assert_eq!(response.status().as_u16(), 200);
    let header =
        |name: &str| (response.headers().get(name)).map(|v| v.to_str().expect("text").to_owned());
    assert_eq!(header("Uxp-QueryID").as_deref(), Some("query-1"));
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(&body));
    assert_eq!(header("Uxp-Request-Hash"), Some(hash));
    let outputs: Value = response.json().await.expect("JSON");
    assert!(outputs["rnokpp"].is_string(), "{outputs:#}");

    let kept: Value = (server
        .client
        .get(format!("{}/_sandbox/headers/{RNOKPP}", server.url)))
    .send()
    .await
    .expect("headers")
    .json()
    .await
    .expect("JSON");
    assert_eq!(
        kept["headers"][0]["uxp-purpose-ids"], "birth-registration",
        "{kept:#}"
    );
    assert_eq!(
        kept["headers"][0]["uxp-subject-id"], "3012345678",
        "{kept:#}"
    );
}

#[tokio::test]
async fn a_uxp_call_without_uxp_client_or_to_an_unknown_service_gets_a_uxp_error() {
    let server = spawn(json!({}));
    let response = (server
        .client
        .post(format!("{}/trembita/restapi", server.url)))
    .header(
        "Uxp-Service",
        "SEVDEIR-TEST/GOV/43005393/DRFO/AssignRnokpp/v1",
    )
    .header("Uxp-QueryID", "q")
    .json(&rnokpp_request())
    .send()
    .await
    .expect("UXP call");
    assert_eq!(response.status().as_u16(), 400);
    let code = response
        .headers()
        .get("Uxp-Error")
        .map(|v| v.to_str().expect("text").to_owned());
    assert_eq!(code.as_deref(), Some("Client.MissingHeader"));
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["type"], "Client.MissingHeader");

    let response = (server.uxp("GOV/43005393/DRFO/AssignNothing/v1", "q"))
        .json(&rnokpp_request())
        .send()
        .await
        .expect("UXP call");
    let code = response
        .headers()
        .get("Uxp-Error")
        .map(|v| v.to_str().expect("text").to_owned());
    assert_eq!(code.as_deref(), Some("Server.ServerProxy.UnknownService"));
}

#[tokio::test]
async fn a_held_uxp_answer_is_polled_under_the_security_server() {
    let server =
        spawn(json!({ "default": { "asynchronous": { "mode": "poll", "delay_ms": 200 } } }));
    let response = (server.uxp("GOV/43005393/DRFO/AssignRnokpp/v1", "polled"))
        .json(&rnokpp_request())
        .send()
        .await
        .expect("UXP call");
    assert_eq!(response.status().as_u16(), 202);
    let location = (response.headers().get("Location"))
        .map(|v| v.to_str().expect("text").to_owned())
        .expect("a status URL");
    assert!(location.contains("/trembita/restapi/status/"), "{location}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let polled = (server.client.get(&location))
        .header("Uxp-Client", CLIENT)
        .send()
        .await
        .expect("poll");
    assert_eq!(polled.status().as_u16(), 200);
    let anonymous = server.client.get(&location).send().await.expect("poll");
    assert!(anonymous.headers().contains_key("Uxp-Error"));
}

#[tokio::test]
async fn stats_count_each_services_calls_per_protocol() {
    let server = spawn(json!({}));
    server.soap(&Message::rnokpp("s-1")).await;
    server.soap(&Message::rnokpp("s-2")).await;
    let uxp = (server.uxp("GOV/43005393/DRFO/AssignRnokpp/v1", "u-1")).json(&rnokpp_request());
    uxp.send().await.expect("UXP call");
    (server
        .client
        .post(format!("{}/tax-service/{RNOKPP}", server.url)))
    .header("Idempotency-Key", "r-1")
    .json(&rnokpp_request())
    .send()
    .await
    .expect("REST call");
    let stats = server.stats(RNOKPP).await;
    assert_eq!(
        stats["protocols"],
        json!({ "onestop-rest": 1, "trembita-rest": 1, "trembita-soap": 2 })
    );
    assert_eq!((&stats["calls"], &stats["effects"]), (&json!(4), &json!(4)));
}

#[tokio::test]
async fn each_service_serves_its_wsdl_naming_its_request_and_response_elements() {
    let server = spawn(json!({}));
    let url = format!("{}/trembita/wsdl/{BIRTH}", server.url);
    let response = server.client.get(&url).send().await.expect("WSDL");
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.expect("text");
    let root = xml::parse(text.as_bytes()).expect("the WSDL is XML");
    assert_eq!(root.name, "definitions");
    let schema = (root.child("types").and_then(|t| t.child("schema"))).expect("a schema");
    let names: Vec<&str> = (schema.children.iter())
        .filter(|e| e.name == "element")
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names.len(), 2, "{text}");
    for element in [
        "name=\"RegisterBirth\"",
        "name=\"RegisterBirthResponse\"",
        "name=\"ResultData\"",
        "name=\"mother\"",
        "<xrd:version>v1</xrd:version>",
        "part=\"protocolVersion\"",
    ] {
        assert!(text.contains(element), "{element}:\n{text}");
    }
    assert!(
        text.contains(&format!("location=\"{}/trembita\"", server.url)),
        "{text}"
    );
    let missing = server
        .client
        .get(format!("{}/trembita/wsdl/no.such", server.url))
        .send()
        .await;
    assert_eq!(missing.expect("WSDL").status().as_u16(), 404);
}
