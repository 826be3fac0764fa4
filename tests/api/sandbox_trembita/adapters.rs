//! onestop's own Trembita adapters against the emulated security server: what one writes the
//! other reads, and the outcome is classified as documented.

use super::*;
use onestop::registry::soap::Subsystem;
use onestop::registry::{Adapter, Call, Outcome, Poll, TrembitaRest, TrembitaSoap};
use std::time::Duration;

fn call<'a>(service: &'a onestop::bundle::Service, request: &'a Value, key: &'a str) -> Call<'a> {
    Call {
        service,
        request,
        idempotency_key: key,
        callback_url: None,
        application: "BR-2026-000001",
        user: "1234567890",
        purposes: &[],
        timeout: Duration::from_secs(5),
        trembita: service.trembita.as_ref(),
        request_id: None,
    }
}

fn client() -> Subsystem {
    Subsystem::parse(CLIENT).expect("a subsystem")
}

#[tokio::test]
async fn the_soap_adapter_gets_outputs_and_a_wrapped_refusal_in_ukrainian_from_the_emulator() {
    let server = spawn(json!({ "services": { BIRTH: { "refuse": [
        { "pointer": "/child/surname", "equals": "Коваленко", "message": "прізвище не відповідає медичному висновку" }
    ] } } }));
    let catalog = catalog();
    let adapter = TrembitaSoap::new(
        reqwest::Client::new(),
        &format!("{}/trembita", server.url),
        client(),
    );
    let rnokpp = catalog.service(RNOKPP).expect("service");
    let answered = adapter.call(call(rnokpp, &rnokpp_request(), "k-1")).await;
    assert!(
        matches!(&answered.outcome, Outcome::Succeeded(o) if o["rnokpp"].is_string()),
        "{:?}",
        answered.outcome
    );
    let birth = catalog.service(BIRTH).expect("service");
    let answered = adapter.call(call(birth, &birth_request(), "k-2")).await;
    let Outcome::Refused(reason) = &answered.outcome else {
        panic!("refused: {:?}", answered.outcome);
    };
    assert!(reason.contains("ResultCode 5"), "{reason}");
    assert!(reason.contains("прізвище не відповідає"), "{reason}");
}

#[tokio::test]
async fn the_uxp_rest_adapter_gets_outputs_and_polls_a_held_answer_through_the_emulator() {
    let server = spawn(
        json!({ "services": { RNOKPP: { "asynchronous": { "mode": "poll", "delay_ms": 200 } } } }),
    );
    let catalog = catalog();
    let adapter = TrembitaRest::new(
        reqwest::Client::new(),
        &format!("{}/trembita", server.url),
        client(),
    );
    let birth = catalog.service(BIRTH).expect("service");
    let answered = adapter.call(call(birth, &birth_request(), "k-3")).await;
    assert!(
        matches!(&answered.outcome, Outcome::Succeeded(o) if o["act_record_number"].is_string()),
        "{:?}",
        answered.outcome
    );
    let rnokpp = catalog.service(RNOKPP).expect("service");
    let answered = adapter.call(call(rnokpp, &rnokpp_request(), "k-4")).await;
    let Outcome::Accepted {
        status_url: Some(url),
        ..
    } = &answered.outcome
    else {
        panic!("accepted with a status URL: {:?}", answered.outcome);
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let poll = Poll {
        service: rnokpp,
        url,
        timeout: Duration::from_secs(5),
        trembita: rnokpp.trembita.as_ref(),
    };
    let polled = adapter.poll(poll).await;
    assert!(
        matches!(&polled.outcome, Outcome::Succeeded(o) if o["rnokpp"].is_string()),
        "{:?}",
        polled.outcome
    );
}
