//! The sandbox as a Trembita security server: X-Road SOAP at `/trembita`, UXP REST at
//! `/trembita/restapi`, each service's WSDL; protocol mistakes answered with X-Road's codes,
//! one effect per message id, the civil registry's wrapped answer, and calls counted per
//! protocol.

mod adapters;
mod uxp_rest;
mod x_road_soap;

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
