//! X-Road SOAP at `/trembita`: answers echo the header with `requestHash`, a message id makes
//! one effect, protocol mistakes get X-Road's codes, the civil registry wraps its answer.

use super::*;

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
