//! The simulated registries: real HTTP, input validated against the service's form, realistic
//! outputs, one effect per idempotency key, and misbehaviour on request (latency, 503 before or
//! after the effect, hangs, 429, refusals, 202 by polling or by a signed callback) that never
//! makes a second effect.

use crate::helpers::{self, Arrivals, example, timed};
use onestop::registry::signature::{CALLBACK_URL_HEADER, Secrets, verify};
use onestop::sandbox::{AnswerLog, Behaviours, SandboxOptions};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const RNOKPP: &str = "tax.rnokpp-assignment";

/// A sandbox on a random port, and a client for it.
struct Sandbox {
    url: String,
    client: reqwest::Client,
}

async fn spawn_sandbox_with(options: SandboxOptions) -> Sandbox {
    Sandbox {
        url: helpers::spawn_sandbox(options),
        client: reqwest::Client::new(),
    }
}

async fn spawn_sandbox() -> Sandbox {
    spawn_sandbox_with(SandboxOptions::default()).await
}

/// A sandbox that behaves as `behaviours` (JSON) says.
async fn misbehaving(behaviours: Value) -> Sandbox {
    spawn_sandbox_with(SandboxOptions {
        behaviours: serde_json::from_value(behaviours).expect("a valid behaviour"),
        ..SandboxOptions::default()
    })
    .await
}

fn rnokpp_request() -> Value {
    let data = example("birth")["data"].clone();
    json!({ "birth_act_record_number": "101", "child": data["children"][0], "mother": data["mother"], "residence": data["residence"] })
}

impl Sandbox {
    fn rnokpp_endpoint(&self) -> String {
        format!("{}/tax-service/{RNOKPP}", self.url)
    }

    /// Ask for a RNOKPP with this idempotency key.
    async fn call(&self, key: &str) -> reqwest::Response {
        self.call_with(&self.client, key).await.expect("call")
    }

    async fn call_with(
        &self,
        client: &reqwest::Client,
        key: &str,
    ) -> reqwest::Result<reqwest::Response> {
        client
            .post(self.rnokpp_endpoint())
            .header("Idempotency-Key", key)
            .json(&rnokpp_request())
            .send()
            .await
    }

    /// The calls and effects of the RNOKPP service.
    async fn rnokpp_stats(&self) -> Value {
        let all = self.rnokpp_counts().await;
        json!({ "calls": all["calls"], "effects": all["effects"] })
    }

    /// Everything the sandbox counts of the RNOKPP service.
    async fn rnokpp_counts(&self) -> Value {
        let stats: Value = self
            .client
            .get(format!("{}/_sandbox/stats", self.url))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("JSON");
        stats[RNOKPP].clone()
    }

    async fn put_behaviour(&self, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let response = self
            .client
            .put(format!("{}/_sandbox/behaviour", self.url))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("PUT behaviour");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON"))
    }

    async fn current_behaviour(&self) -> Value {
        let url = format!("{}/_sandbox/behaviour", self.url);
        self.get(&url).await.json().await.expect("JSON")
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        self.client.get(url).send().await.expect("GET")
    }
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn sandbox_assigns_a_real_rnokpp_once_per_idempotency_key() {
    let sandbox = spawn_sandbox().await;
    let mut answers = Vec::new();
    for _ in 0..2 {
        let response = sandbox.call("app-1:tax:0").await;
        assert_eq!(response.status().as_u16(), 200);
        answers.push(response.json::<Value>().await.expect("JSON"));
    }
    assert_eq!(
        answers[0], answers[1],
        "a repeated key gets the first answer"
    );
    let rnokpp = answers[0]["rnokpp"].as_str().expect("rnokpp");
    assert!(onestop::form::is_rnokpp(rnokpp));
    // 2026-11-19 is day 46344 counted from 1899-12-31; a girl gets an even sex digit.
    assert!(rnokpp.starts_with("46344"), "{rnokpp}");
    assert_eq!((rnokpp.as_bytes()[8] - b'0') % 2, 0, "{rnokpp}");
    assert_eq!(
        sandbox.rnokpp_stats().await,
        json!({ "calls": 2, "effects": 1 })
    );
}

#[tokio::test]
async fn sandbox_refuses_input_that_does_not_satisfy_the_form() {
    let sandbox = spawn_sandbox().await;
    let mut request = rnokpp_request();
    request
        .as_object_mut()
        .expect("object")
        .remove("birth_act_record_number");
    let response = sandbox
        .client
        .post(sandbox.rnokpp_endpoint())
        .header("Idempotency-Key", "app-2:tax:0")
        .json(&request)
        .send()
        .await
        .expect("call");
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.expect("JSON");
    assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()));
}

#[tokio::test]
async fn a_fixed_latency_delays_every_answer_by_at_least_that_long() {
    let log = AnswerLog::default();
    let sandbox = spawn_sandbox_with(SandboxOptions {
        behaviours: serde_json::from_value(
            json!({ "default": { "latency": { "fixed_ms": 250 } } }),
        )
        .expect("a valid behaviour"),
        answer_log: Some(log.clone()),
        ..SandboxOptions::default()
    })
    .await;
    let began = jiff::Timestamp::now();
    for key in ["slow:1", "slow:1", "slow:2"] {
        let started = Instant::now();
        let response = sandbox.call(key).await;
        assert_eq!(response.status().as_u16(), 200);
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "{:?}",
            started.elapsed()
        );
    }
    let stats = sandbox.rnokpp_counts().await;
    assert_eq!((&stats["calls"], &stats["effects"]), (&json!(3), &json!(2)));
    // The time the answers took is counted, each at least the latency and not much more.
    assert_eq!(stats["answered"], 3);
    let answer_ms = stats["answer_ms"].as_f64().expect("answer_ms");
    assert!((750.0..3.0 * 400.0).contains(&answer_ms), "{answer_ms}");
    // A benchmark's log has every answered call: its key, when it arrived, how long it took.
    let answered = log.take();
    let keys: Vec<&str> = answered.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["slow:1", "slow:1", "slow:2"]);
    let mut arrived = began;
    for a in &answered {
        assert!(
            a.arrived >= arrived,
            "{a:?} arrived before the call before it"
        );
        assert!((250..400).contains(&a.took.as_millis()), "{a:?}");
        arrived = a.arrived;
    }
    assert!(log.take().is_empty(), "taking the log empties it");
}

#[tokio::test]
async fn a_service_entry_replaces_the_default_behaviour_as_a_whole() {
    let sandbox = misbehaving(json!({
        "default": { "latency": { "fixed_ms": 400 } },
        "services": { RNOKPP: { "failure_rate": 0.0 } }
    }))
    .await;
    let started = Instant::now();
    assert_eq!(sandbox.call("own:1").await.status().as_u16(), 200);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "the default latency is not merged into the service's entry"
    );
    let started = Instant::now();
    let other = sandbox
        .client
        .post(format!(
            "{}/migration-service/migration.unzr-entry",
            sandbox.url
        ))
        .header("Idempotency-Key", "default:1")
        .json(&json!({}))
        .send()
        .await
        .expect("call");
    assert_eq!(other.status().as_u16(), 422);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "another service keeps the default"
    );
}

#[tokio::test]
async fn every_call_fails_with_503_at_failure_rate_one_and_some_fail_after_making_the_effect() {
    let sandbox = misbehaving(json!({ "default": { "failure_rate": 1.0 } })).await;
    let keys: Vec<String> = (0..40).map(|i| format!("lost:{i}")).collect();
    for key in &keys {
        assert_eq!(sandbox.call(key).await.status().as_u16(), 503);
    }
    let stats = sandbox.rnokpp_stats().await;
    assert_eq!(stats["calls"], 40);
    let effects = stats["effects"].as_u64().expect("effects");
    // Half fail before the effect, half after it: both kinds appear in 40 calls.
    assert!(0 < effects && effects < 40, "{effects} effects of 40 calls");

    let (status, _) = sandbox.put_behaviour("{}").await;
    assert_eq!(status, 200);
    for key in &keys {
        assert_eq!(sandbox.call(key).await.status().as_u16(), 200);
    }
    assert_eq!(
        sandbox.rnokpp_stats().await,
        json!({ "calls": 80, "effects": 40 })
    );
}

#[tokio::test]
async fn retrying_every_failed_key_at_failure_rate_one_half_ends_with_one_effect_per_key() {
    let sandbox = misbehaving(json!({ "default": { "failure_rate": 0.5 } })).await;
    let (mut calls, mut failures) = (0, 0);
    for i in 0..40 {
        let key = format!("retried:{i}");
        let mut status = 0;
        for _ in 0..60 {
            calls += 1;
            status = sandbox.call(&key).await.status().as_u16();
            if status != 503 {
                break;
            }
            failures += 1;
        }
        assert_eq!(status, 200, "{key} was retried until it succeeded");
    }
    assert!(failures > 0, "some calls failed");
    assert_eq!(
        sandbox.rnokpp_stats().await,
        json!({ "calls": calls, "effects": 40 })
    );
}

#[tokio::test]
async fn a_call_that_timed_out_made_its_effect_and_a_retry_gets_the_same_outputs() {
    let sandbox = misbehaving(json!({ "default": { "timeout_rate": 1.0, "hang_ms": 300 } })).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("client");
    let error = sandbox
        .call_with(&impatient, "hung:1")
        .await
        .expect_err("the caller times out");
    assert!(error.is_timeout(), "{error}");
    assert_eq!(
        sandbox.rnokpp_stats().await,
        json!({ "calls": 1, "effects": 1 })
    );

    let started = Instant::now();
    let response = sandbox.call("hung:1").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "it hung again"
    );
    let outputs: Value = response.json().await.expect("JSON");

    assert_eq!(sandbox.put_behaviour("{}").await.0, 200);
    let again: Value = sandbox.call("hung:1").await.json().await.expect("JSON");
    assert_eq!(again, outputs);
    assert_eq!(
        sandbox.rnokpp_stats().await,
        json!({ "calls": 3, "effects": 1 })
    );
}

#[tokio::test]
async fn a_rate_limited_call_gets_429_with_retry_after_and_makes_no_effect() {
    let sandbox = misbehaving(json!({
        "default": { "rate_limit": { "rate": 1.0, "retry_after_seconds": 2 } }
    }))
    .await;
    let response = sandbox.call("limited:1").await;
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(header(&response, "Retry-After"), Some("2"));
    assert_eq!(
        sandbox.rnokpp_stats().await,
        json!({ "calls": 1, "effects": 0 })
    );
}

#[tokio::test]
async fn a_refusal_rule_answers_400_with_its_pointer_and_message_and_makes_no_effect() {
    let message = "прізвище в реєстрі заблоковано";
    let sandbox = misbehaving(json!({ "services": { RNOKPP: { "refuse": [
        { "pointer": "/child/surname", "equals": "Коваленко", "message": message }
    ] } } }))
    .await;
    let response = sandbox.call("refused:1").await;
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({ "errors": [{ "pointer": "/child/surname", "message": message }] })
    );
    assert_eq!(
        sandbox.rnokpp_stats().await,
        json!({ "calls": 1, "effects": 0 })
    );

    let mut request = rnokpp_request();
    request["child"]["surname"] = json!("Шевченко");
    let other = sandbox
        .client
        .post(sandbox.rnokpp_endpoint())
        .header("Idempotency-Key", "refused:2")
        .json(&request)
        .send()
        .await
        .expect("call");
    assert_eq!(other.status().as_u16(), 200, "another surname passes");
}

#[tokio::test]
async fn a_polled_answer_gives_the_outputs_at_its_location_once_the_delay_has_passed() {
    let sandbox = misbehaving(json!({
        "default": { "asynchronous": { "mode": "poll", "delay_ms": 400 } }
    }))
    .await;
    let key = "app 3/tax:0";
    let started = Instant::now();
    let first = sandbox.call(key).await;
    assert_eq!(first.status().as_u16(), 202);
    assert_eq!(header(&first, "Retry-After"), Some("1"));
    let location = header(&first, "Location").expect("Location").to_owned();
    assert_eq!(
        location,
        format!(
            "{}/_sandbox/status/tax-service/{RNOKPP}/app%203%2Ftax%3A0",
            sandbox.url
        )
    );
    assert_eq!(sandbox.call(key).await.status().as_u16(), 202, "pending");

    let outputs = loop {
        let polled = sandbox.get(&location).await;
        match polled.status().as_u16() {
            202 => assert!(header(&polled, "Location").is_some_and(|l| l == location)),
            200 => break polled.json::<Value>().await.expect("JSON"),
            other => panic!("status answered {other}"),
        }
        assert!(started.elapsed() < Duration::from_secs(3), "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert!(onestop::form::is_rnokpp(
        outputs["rnokpp"].as_str().expect("rnokpp")
    ));

    let repeated = sandbox.call(key).await;
    assert_eq!(repeated.status().as_u16(), 200);
    assert_eq!(repeated.json::<Value>().await.expect("JSON"), outputs);
    assert_eq!(
        sandbox.rnokpp_stats().await,
        json!({ "calls": 3, "effects": 1 })
    );
    let unknown = format!(
        "{}/_sandbox/status/tax-service/{RNOKPP}/nobody",
        sandbox.url
    );
    assert_eq!(sandbox.get(&unknown).await.status().as_u16(), 404);
}

#[tokio::test]
async fn a_signed_callback_arrives_after_the_delay_and_a_repeated_call_schedules_no_second() {
    let receiver = MockServer::start().await;
    let arrivals = Arrivals::default();
    Mock::given(method("POST"))
        .and(path("/callbacks/1"))
        .respond_with(timed(&arrivals, ResponseTemplate::new(200)))
        .expect(1)
        .named("one callback for one key")
        .mount(&receiver)
        .await;
    let sandbox = spawn_sandbox_with(SandboxOptions {
        behaviours: serde_json::from_value::<Behaviours>(json!({
            "default": { "asynchronous": { "mode": "callback", "delay_ms": 400 } }
        }))
        .expect("behaviour"),
        secrets: Secrets {
            default: "other-secret".into(),
            per_registry: [("tax-service".to_owned(), "tax-secret".to_owned())].into(),
        },
        answer_log: None,
        tls: None,
    })
    .await;
    let call = || {
        sandbox
            .client
            .post(sandbox.rnokpp_endpoint())
            .header("Idempotency-Key", "called-back:1")
            .header(
                CALLBACK_URL_HEADER,
                format!("{}/callbacks/1", receiver.uri()),
            )
            .json(&rnokpp_request())
            .send()
    };
    let started = Instant::now();
    let first = call().await.expect("call");
    assert_eq!(first.status().as_u16(), 202);
    assert!(
        header(&first, "Location").is_none(),
        "a callback, not a status URL"
    );
    assert_eq!(
        call().await.expect("call").status().as_u16(),
        202,
        "pending"
    );

    while arrivals.lock().expect("lock").is_empty() {
        assert!(started.elapsed() < Duration::from_secs(3), "no callback");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = receiver.received_requests().await.expect("recorded");
    assert_eq!(received.len(), 1, "one callback for one key");
    let arrived = arrivals.lock().expect("lock")[0];
    assert!(arrived - started >= Duration::from_millis(400));
    let (callback, now) = (&received[0], jiff::Timestamp::now().as_second());
    let text = |name: &str| callback.headers.get(name).and_then(|v| v.to_str().ok());
    let signature = text("X-Onestop-Signature");
    let timestamp = text("X-Onestop-Timestamp");
    let signed = verify("tax-secret", signature, timestamp, &callback.body, now, 300);
    assert_eq!(signed, Ok(()));
    let body: Value = callback.body_json().expect("JSON");
    assert_eq!(body["status"], "succeeded");
    let outputs = body["outputs"].clone();
    assert!(onestop::form::is_rnokpp(
        outputs["rnokpp"].as_str().expect("rnokpp")
    ));
    let repeated = call().await.expect("call");
    assert_eq!(repeated.status().as_u16(), 200);
    assert_eq!(repeated.json::<Value>().await.expect("JSON"), outputs);
    assert_eq!(
        sandbox.rnokpp_stats().await,
        json!({ "calls": 3, "effects": 1 })
    );
}

#[tokio::test]
async fn a_callback_mode_call_without_a_callback_url_is_answered_as_for_polling() {
    let sandbox = misbehaving(json!({
        "default": { "asynchronous": { "mode": "callback", "delay_ms": 100 } }
    }))
    .await;
    let response = sandbox.call("no-callback:1").await;
    assert_eq!(response.status().as_u16(), 202);
    let location = header(&response, "Location")
        .expect("a status URL")
        .to_owned();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(sandbox.get(&location).await.status().as_u16(), 200);
}

#[tokio::test]
async fn a_behaviour_that_is_not_valid_is_refused_with_400_and_the_current_one_is_kept() {
    let sandbox = spawn_sandbox().await;
    let (status, body) = sandbox.put_behaviour("garbage").await;
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    let (status, body) = sandbox
        .put_behaviour(r#"{"default": {"failure_rate": 1.5}}"#)
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["pointer"], "/default/failure_rate");
    let (status, body) = sandbox
        .put_behaviour(r#"{"services": {"tax.nothing": {}}}"#)
        .await;
    assert_eq!(
        (status, &body["errors"][0]["pointer"]),
        (400, &json!("/services/tax.nothing"))
    );
    let (status, _) = sandbox
        .put_behaviour(r#"{"default": {"failure_rat": 1}}"#)
        .await;
    assert_eq!(status, 400, "an unknown knob is refused");

    let default = serde_json::to_value(Behaviours::default()).expect("JSON");
    assert_eq!(sandbox.current_behaviour().await, default);
    let wanted = json!({ "default": { "latency": { "uniform_ms": [1, 2] } } });
    assert_eq!(sandbox.put_behaviour(wanted.to_string()).await.0, 200);
    assert_eq!(
        sandbox.current_behaviour().await["default"]["latency"],
        json!({ "uniform_ms": [1, 2] })
    );
}

#[tokio::test]
async fn slow_calls_are_answered_side_by_side_not_one_after_another() {
    let sandbox = misbehaving(json!({ "default": { "latency": { "fixed_ms": 300 } } })).await;
    let started = Instant::now();
    let answers = tokio::join!(
        sandbox.call("side-by-side:1"),
        sandbox.call("side-by-side:2"),
        sandbox.call("side-by-side:3"),
        sandbox.call("side-by-side:4"),
        sandbox.call("side-by-side:5"),
    );
    let statuses = [answers.0, answers.1, answers.2, answers.3, answers.4].map(|r| r.status());
    assert!(statuses.iter().all(|s| s.as_u16() == 200), "{statuses:?}");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "five calls of 300 ms took {:?}",
        started.elapsed()
    );
}

/// Each shipped service, the output it names, and the shape the real registry gives it (a
/// regular expression), for the example applications: a birth in Kyiv, a move from Lviv to
/// Kyiv, a sole proprietor in Kyiv.
const SHAPES: [(&str, &str, &str); 25] = [
    (
        "civil.birth-registration",
        "act_record_number",
        "^[1-9][0-9]{0,9}$",
    ),
    (
        "civil.birth-registration",
        "registry_office",
        "^Відділ державної реєстрації актів цивільного стану в місті Києві Київського міжрегіонального управління Міністерства юстиції$",
    ),
    ("tax.rnokpp-assignment", "rnokpp", "^[0-9]{10}$"),
    ("migration.unzr-entry", "unzr", "^[0-9]{8}-[0-9]{5}$"),
    (
        "migration.citizenship-determination",
        "basis",
        "^частина перша статті 7 Закону України «Про громадянство України»$",
    ),
    (
        "civil.birth-certificate",
        "certificate_series",
        "^І-[А-Я]{2}$",
    ),
    (
        "civil.birth-certificate",
        "certificate_number",
        "^[0-9]{6}$",
    ),
    (
        "community.residence-registration",
        "registration_record",
        "^[1-9][0-9]{0,9}$",
    ),
    (
        "social.birth-assistance",
        "decision_number",
        "^[1-9][0-9]{0,9}$",
    ),
    (
        "social.birth-assistance",
        "paying_body",
        "^Головне управління Пенсійного фонду України в м. Києві$",
    ),
    ("social.baby-box", "decision_number", "^[1-9][0-9]{0,9}$"),
    ("social.large-family", "certificate_number", "^[0-9]{6}$"),
    (
        "health.ehealth-entry",
        "patient_id",
        "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
    ),
    (
        "residence.deregistration",
        "deregistration_record",
        "^[1-9][0-9]{0,9}$",
    ),
    (
        "residence.deregistration",
        "community",
        "^Львівська міська територіальна громада$",
    ),
    (
        "residence.registration",
        "registration_record",
        "^[1-9][0-9]{0,9}$",
    ),
    (
        "tax.address-update",
        "tax_office",
        "^Головне управління ДПС у м. Києві$",
    ),
    (
        "voters.register-update",
        "notice_number",
        "^[1-9][0-9]{0,9}$",
    ),
    (
        "military.register-notice",
        "recruitment_centre",
        "^Київський міський територіальний центр комплектування та соціальної підтримки$",
    ),
    (
        "social.payments-transfer",
        "pension_fund_office",
        "^Головне управління Пенсійного фонду України в м. Києві$",
    ),
    (
        "business.fop-registration",
        "record_number",
        "^2 000 000 0000 [0-9]{6}$",
    ),
    (
        "tax.single-tax-registration",
        "registered_on",
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    ),
    (
        "tax.general-regime-registration",
        "tax_number",
        "^3320632157$",
    ),
    ("tax.vat-registration", "vat_number", "^3320632157[0-9]{2}$"),
    ("tax.esv-registration", "payer_number", "^[0-9]{10}$"),
];

fn matches(pattern: &str, text: &str) -> bool {
    jsonschema::validator_for(&json!({ "type": "string", "pattern": pattern }))
        .expect("a valid pattern")
        .is_valid(&json!(text))
}

/// Every field a shipped service may be sent: the three example applications' data, the first
/// child born as `child` and the first person moving as `person`, and the outputs other services
/// pass on.
fn every_request_field() -> Value {
    let mut all = serde_json::Map::new();
    for bundle in ["birth", "relocation", "business-start"] {
        if let Value::Object(data) = example(bundle)["data"].clone() {
            all.extend(data);
        }
    }
    let child = all["children"][0].clone();
    all.insert("child".into(), child);
    let person = all["people"][0].clone();
    all.insert("person".into(), person);
    let passed_on = json!({
        "birth_act_record_number": "1234", "rnokpp": "4634407986", "unzr": "20261119-66439",
        "citizenship": "UKR", "certificate_number": "123456", "deregistration_record": "512",
        "registration_record": "513", "record_number": "2 000 000 0000 012345",
    });
    if let Value::Object(passed_on) = passed_on {
        all.extend(passed_on);
    }
    Value::Object(all)
}

/// Ask `service` with `key`, sending what its form takes of `fields`; its 200 answer.
async fn ask(
    sandbox: &Sandbox,
    catalog: &onestop::bundle::Catalog,
    service: &str,
    key: &str,
    fields: &Value,
) -> Value {
    let service = catalog.service(service).expect("a shipped service");
    let request: serde_json::Map<String, Value> = (service.input.properties.keys())
        .filter_map(|name| Some((name.clone(), fields.get(name)?.clone())))
        .collect();
    let response = sandbox
        .client
        .post(format!(
            "{}/{}/{}",
            sandbox.url, service.registry, service.id
        ))
        .header("Idempotency-Key", key)
        .json(&request)
        .send()
        .await
        .expect("call");
    assert_eq!(response.status().as_u16(), 200, "{}", service.id);
    let outputs: Value = response.json().await.expect("JSON");
    assert!(
        service.output_validator.is_valid(&outputs),
        "{}: {outputs:#} does not satisfy its output schema",
        service.id
    );
    outputs
}

#[tokio::test]
async fn every_shipped_service_answers_with_references_shaped_like_its_registry() {
    let catalog = onestop::bundle::compile(&helpers::root()).expect("shipped definitions");
    assert_eq!(
        catalog.services.len(),
        21,
        "every shipped service is covered"
    );
    let sandbox = spawn_sandbox().await;
    let fields = every_request_field();
    for id in catalog.services.keys() {
        let key = format!("shape:{id}");
        let outputs = ask(&sandbox, &catalog, id.as_str(), &key, &fields).await;
        let text = outputs.to_string();
        assert!(!text.contains("SIM-"), "{id}: {text}");
        let shapes: Vec<_> = SHAPES.iter().filter(|(s, ..)| *s == id.as_str()).collect();
        assert!(!shapes.is_empty(), "{id} has no shape to check");
        for (_, output, pattern) in shapes {
            let value = outputs[*output].as_str().unwrap_or_default();
            assert!(
                matches(pattern, value),
                "{id}.{output} = {value:?} is not {pattern}"
            );
        }
        let again = ask(&sandbox, &catalog, id.as_str(), &key, &fields).await;
        assert_eq!(again, outputs, "{id}: the same key gets the same answer");
    }
}

#[tokio::test]
async fn the_pension_fund_decides_fifty_thousand_hryvnias_once_for_each_child() {
    let catalog = onestop::bundle::compile(&helpers::root()).expect("shipped definitions");
    let sandbox = spawn_sandbox().await;
    let fields = every_request_field();
    let twins = [
        ask(
            &sandbox,
            &catalog,
            "social.birth-assistance",
            "twin:1",
            &fields,
        )
        .await,
        ask(
            &sandbox,
            &catalog,
            "social.birth-assistance",
            "twin:2",
            &fields,
        )
        .await,
    ];
    for decision in &twins {
        assert_eq!(decision["amount"], json!(50_000.0));
        assert_eq!(decision["payment"], "one-time");
        assert_eq!(decision["currency"], "UAH");
    }
    assert_ne!(twins[0]["decision_number"], twins[1]["decision_number"]);
    let large = ask(
        &sandbox,
        &catalog,
        "social.large-family",
        "large:1",
        &fields,
    )
    .await;
    assert_eq!(large["monthly_assistance"], json!(2_100.0));
}
