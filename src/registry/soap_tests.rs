//! The SOAP 4.0 envelope both ways: what is written reads back the same, one request envelope
//! kept as a golden file, the protocol's own examples read, hostile envelopes refused.

use super::*;
use crate::bundle::Catalog;
use serde_json::json;
use std::sync::OnceLock;

pub(crate) fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        crate::bundle::compile(root).expect("the shipped catalog compiles")
    })
}

fn header() -> Header {
    Header {
        client: Subsystem::parse("SEVDEIR-TEST/GOV/12345678/ONESTOP").expect("subsystem"),
        service: ServiceId {
            provider: Subsystem::parse("SEVDEIR-TEST/GOV/00015622/DRACS").expect("subsystem"),
            code: "RegisterBirth".into(),
            version: Some("v1".into()),
        },
        id: "0190f3a8-5b7c-7d2e-9f10-2a3b4c5d6e7f".into(),
        user_id: Some("UAclerk".into()),
        issue: Some("0190f3a8-1111-7222-8333-444455556666".into()),
        protocol_version: PROTOCOL_VERSION.into(),
        request_hash: None,
    }
}

const NAMESPACE: &str = "https://onestop.invalid/trembita/civil.birth-registration";

/// A small birth registration request, projected on the service's form as `fanout` does.
fn birth_input() -> (Value, Shape) {
    let service = catalog()
        .service("civil.birth-registration")
        .expect("the service is shipped");
    let data = json!({
        "child": { "surname": "Коваленко", "given_name": "Мар\u{2BC}яна", "sex": "female",
                   "birth_date": "2026-11-19", "extra": "не для реєстру" },
        "mother": { "surname": "Коваленко", "given_name": "Олена", "rnokpp": "3440712340" },
        "paternity": { "basis": "mother-statement" },
        "benefit": { "iban": "UA573220010000026007233566001" },
    });
    let mut input = serde_json::Map::new();
    for (name, shape) in &service.input.shapes {
        if let Some(value) = data.get(name) {
            input.insert(name.clone(), shape.project(value));
        }
    }
    (
        Value::Object(input),
        Shape::Object(service.input.shapes.clone()),
    )
}

#[test]
fn a_request_envelope_is_written_as_the_golden_file_shows() {
    let (input, _) = birth_input();
    insta::assert_snapshot!(
        "birth_registration_request",
        request(&header(), NAMESPACE, &input)
    );
}

#[test]
fn a_request_reads_back_as_its_header_and_input() {
    let (input, shape) = birth_input();
    let written = request(&header(), NAMESPACE, &input);
    let Envelope::Message { header: read, body } = parse(written.as_bytes()).expect("parses")
    else {
        panic!("a message, not a fault");
    };
    assert_eq!(*read, header());
    assert_eq!(body.name, "RegisterBirth");
    assert_eq!(body.namespace.as_deref(), Some(NAMESPACE));
    assert_eq!(outputs(&body, &shape), input);
    let mut bare = header();
    (bare.user_id, bare.issue, bare.service.version) = (None, None, None);
    let written = request(&bare, NAMESPACE, &json!({}));
    assert!(!written.contains("userId") && !written.contains("serviceVersion"));
    let Ok(Envelope::Message { header: read, .. }) = parse(written.as_bytes()) else {
        panic!("a message");
    };
    assert_eq!(*read, bare);
}

#[test]
fn an_answer_echoes_the_header_with_the_request_hash_and_reads_back() {
    let mut answered = header();
    answered.request_hash = Some(("c2hhNTEy+/=".into(), SHA512.into()));
    let outputs_sent = json!({ "act_record_number": "123", "registered_on": "2026-11-20" });
    let written = response(&answered, NAMESPACE, &outputs_sent);
    assert!(written.contains("<xrd:requestHash algorithmId=\"http://www.w3.org/2001/04/xmlenc#sha512\">c2hhNTEy+/=</xrd:requestHash>"));
    let Ok(Envelope::Message { header: read, body }) = parse(written.as_bytes()) else {
        panic!("a message");
    };
    assert_eq!(*read, answered);
    assert_eq!(body.name, "RegisterBirthResponse");
    assert_eq!(outputs(&body, &Shape::Any), outputs_sent);
}

#[test]
fn a_fault_reads_back_as_written() {
    for detail in [
        None,
        Some("f31e7451-f0ac-48f6-9f05-1f0459e48eea".to_owned()),
    ] {
        let sent = Fault {
            code: "Server.ServerProxy.AccessDenied".into(),
            string: "Request not allowed: <client> & co".into(),
            detail,
        };
        assert_eq!(
            parse(fault(&sent).as_bytes()).expect("parses"),
            Envelope::Fault(sent)
        );
    }
}

/// The protocol's Annex D.1 (a technical fault) and D.2 (an answer, its hash across lines, the
/// body's children qualified here to show either is read).
#[test]
fn the_protocol_s_own_examples_are_read() {
    let technical = br#"<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">
    <SOAP-ENV:Body>
        <SOAP-ENV:Fault>
            <faultcode>SOAP-ENV:Server</faultcode>
            <faultstring>Malformed SOAP message: body missing</faultstring>
            <faultactor></faultactor>
            <detail>
                <faultDetail xmlns="">f31e7451-f0ac-48f6-9f05-1f0459e48eea</faultDetail>
            </detail>
        </SOAP-ENV:Fault>
    </SOAP-ENV:Body>
</SOAP-ENV:Envelope>"#;
    assert_eq!(
        parse(technical).expect("parses"),
        Envelope::Fault(Fault {
            code: "SOAP-ENV:Server".into(),
            string: "Malformed SOAP message: body missing".into(),
            detail: Some("f31e7451-f0ac-48f6-9f05-1f0459e48eea".into()),
        })
    );
    let answer = std::str::from_utf8(ANNEX_D2).expect("UTF-8");
    let Ok(Envelope::Message { header, body }) = parse(answer.as_bytes()) else {
        panic!("a message");
    };
    let (hash, algorithm) = header.request_hash.expect("requestHash");
    assert_eq!(algorithm, SHA512);
    assert!(hash.starts_with("8r+UeXoU") && hash.ends_with("3KS1Hw==") && !hash.contains(' '));
    assert_eq!(header.service.code, "test");
    assert_eq!(header.user_id.as_deref(), Some("EE12345678901"));
    assert_eq!(
        outputs(&body, &Shape::Any),
        json!({ "exampleOutput": "", "fault": { "faultCode": "test_failed" } })
    );
}

const ANNEX_D2: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope
        xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
        xmlns:ns1="http://producer.x-road.eu"
        xmlns:id="http://x-road.eu/xsd/identifiers"
        xmlns:xrd="http://x-road.eu/xsd/xroad.xsd">
    <SOAP-ENV:Header>
        <xrd:client id:objectType="SUBSYSTEM">
            <id:xRoadInstance>EE</id:xRoadInstance>
            <id:memberClass>GOV</id:memberClass>
            <id:memberCode>MEMBER1</id:memberCode>
            <id:subsystemCode>SUBSYSTEM1</id:subsystemCode>
        </xrd:client>
        <xrd:service id:objectType="SERVICE">
            <id:xRoadInstance>EE</id:xRoadInstance>
            <id:memberClass>GOV</id:memberClass>
            <id:memberCode>MEMBER2</id:memberCode>
            <id:subsystemCode>SUBSYSTEM2</id:subsystemCode>
            <id:serviceCode>test</id:serviceCode>
            <id:serviceVersion>v1</id:serviceVersion>
        </xrd:service>
        <xrd:id>4894e35d-bf0f-44a6-867a-8e51f1daa7e0</xrd:id>
        <xrd:userId>EE12345678901</xrd:userId>
        <xrd:issue>12345</xrd:issue>
        <xrd:protocolVersion>4.0</xrd:protocolVersion>
        <xrd:requestHash
                algorithmId="http://www.w3.org/2001/04/xmlenc#sha512">
            8r+UeXoU2WiEXRMdES8KBLhdQV/lt1DA+rLi2EUC239k
            OvBWGcBjYde27YIZtNQObsyHFQfX0V6pQ6LH3KS1Hw==
        </xrd:requestHash>
    </SOAP-ENV:Header>
    <SOAP-ENV:Body>
        <ns1:testResponse>
            <ns1:exampleOutput />
            <ns1:fault>
                <ns1:faultCode>test_failed</ns1:faultCode>
            </ns1:fault>
        </ns1:testResponse >
    </SOAP-ENV:Body>
</SOAP-ENV:Envelope>"#;

#[test]
fn hostile_or_incomplete_envelopes_are_errors_naming_the_problem() {
    let (input, _) = birth_input();
    let good = request(&header(), NAMESPACE, &input);
    let edit = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        good.replacen(from, to, 1)
    };
    let id = "<xrd:id>0190f3a8-5b7c-7d2e-9f10-2a3b4c5d6e7f</xrd:id>";
    let service_start = "<xrd:service id:objectType=\"SERVICE\">";
    let service_end = good.find("</xrd:service>").expect("service") + "</xrd:service>".len();
    let service_from = good.find(service_start).expect("service");
    let service = &good[service_from..service_end];
    let deep = "<a>".repeat(100) + &"</a>".repeat(100);
    let cases: Vec<(String, &str)> = vec![
        ("not xml".into(), "текст поза кореневим елементом"),
        (ENTITY.into(), "DOCTYPE"),
        (
            edit("<soapenv:Body>", &format!("<soapenv:Body>{deep}")),
            "глибше",
        ),
        (
            edit("</soapenv:Body>", "<second/></soapenv:Body>"),
            "містить 2",
        ),
        (edit(id, ""), "немає xrd:id"),
        (edit(id, "<xrd:id> </xrd:id>"), "немає xrd:id"),
        (
            edit("<xrd:protocolVersion>4.0</xrd:protocolVersion>", ""),
            "protocolVersion",
        ),
        (edit(service, ""), "немає xrd:service"),
        (
            edit(service, &format!("{service}{service}")),
            "кілька service",
        ),
        (
            edit("<id:subsystemCode>ONESTOP</id:subsystemCode>", ""),
            "у xrd:client немає id:subsystemCode",
        ),
        (
            edit("<id:serviceCode>RegisterBirth</id:serviceCode>", ""),
            "немає id:serviceCode",
        ),
        ("<a/>".into(), "не є конвертом"),
    ];
    for (envelope, expected) in cases {
        let e = parse(envelope.as_bytes()).expect_err(expected);
        assert!(e.0.contains(expected), "{e}, expected {expected}");
    }
}

const ENTITY: &str = r#"<?xml version="1.0"?>
<!DOCTYPE soapenv:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Body><x>&xxe;</x></soapenv:Body>
</soapenv:Envelope>"#;
