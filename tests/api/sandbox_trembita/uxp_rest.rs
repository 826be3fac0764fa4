//! UXP REST at `/trembita/restapi`: answers echo `Uxp-QueryID` with `Uxp-Request-Hash`, the
//! security server's own errors carry `Uxp-Error`, a held answer is polled under it.

use super::*;

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
    let service = "SEVDEIR-TEST/GOV/43005393/DRFO/AssignRnokpp/v1";
    let polled = (server.client.get(&location))
        .header("Uxp-Client", CLIENT)
        .header("Uxp-Service", service)
        .header("Uxp-QueryID", "a-poll")
        .send()
        .await
        .expect("poll");
    assert_eq!(polled.status().as_u16(), 200);
    // A poll is a message like any other: without its address it is the security server's error.
    let client_only = (server.client.get(&location))
        .header("Uxp-Client", CLIENT)
        .send()
        .await
        .expect("poll");
    assert_eq!(
        (client_only.headers().get("Uxp-Error")).and_then(|v| v.to_str().ok()),
        Some("Client.MissingHeader")
    );
    let anonymous = server.client.get(&location).send().await.expect("poll");
    assert!(anonymous.headers().contains_key("Uxp-Error"));
}
