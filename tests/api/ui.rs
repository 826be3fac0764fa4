//! The web pages, server side: they render in both languages, escape what people type, refuse
//! a form post without its CSRF token, come back with every error and every value, and send an
//! accepted application to its page. The browser test (tests/browser) drives them as a person.

use crate::helpers::{Db, TestApp, example, spawn_app};
use serde_json::Value;

async fn get(app: &TestApp, path: &str) -> (u16, String) {
    let response = app
        .pages
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("page request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("page text"))
}

/// The CSRF token a fresh form page hands out: (cookie value, hidden field value).
async fn csrf(app: &TestApp, bundle: &str) -> (String, String) {
    let response = app
        .pages
        .get(format!("{}/events/{bundle}/form?choice=1", app.address))
        .send()
        .await
        .expect("form request");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("cookie text")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("name=value").to_owned();
    let body = response.text().await.expect("form text");
    let field = body
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a hidden CSRF field")
        .to_owned();
    (pair, field)
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// POST a form; the status, `Location` and the page.
async fn post(
    app: &TestApp,
    bundle: &str,
    cookie: Option<&str>,
    pairs: &[(String, String)],
) -> (u16, Option<String>, String) {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    let mut request = app
        .pages
        .post(format!("{}/events/{bundle}/form", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.join("&"));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", app.cookie(cookie));
    }
    let response = request.send().await.expect("form post");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().expect("location").to_owned());
    (status, location, response.text().await.expect("page text"))
}

/// The fields of an application as a form posts them (objects, lists with their count of rows,
/// and scalars; dates may be ISO).
fn flatten(value: &Value, pointer: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| flatten(v, &format!("{pointer}/{k}"), out)),
        Value::Array(items) => {
            out.push((format!("_rows{pointer}"), items.len().to_string()));
            (items.iter().enumerate())
                .for_each(|(i, v)| flatten(v, &format!("{pointer}/{i}"), out));
        }
        Value::String(s) => out.push((pointer.to_owned(), s.clone())),
        other => out.push((pointer.to_owned(), other.to_string())),
    }
}

/// The birth example with only the mandatory services, as the form posts it.
fn birth_form(token: &str) -> Vec<(String, String)> {
    let mut data = example("birth")["data"].clone();
    for optional in ["benefit", "baby_box", "family", "parents_address"] {
        data.as_object_mut().expect("object").remove(optional);
    }
    let mut pairs = vec![
        ("_csrf".to_owned(), token.to_owned()),
        ("_choice".to_owned(), "1".to_owned()),
        (
            "_key".to_owned(),
            format!("ui-{}", uuid::Uuid::new_v4().simple()),
        ),
    ];
    flatten(&data, "", &mut pairs);
    pairs
}

fn set(pairs: &mut [(String, String)], name: &str, value: &str) {
    let pair = pairs.iter_mut().find(|(k, _)| k == name).expect("field");
    pair.1 = value.to_owned();
}

/// The person asked for consent opens their link, sees what is asked, and confirms: the
/// registration that waited for it goes on. Without the page's token the post is refused.
async fn the_homeowner_confirms_from_the_page_their_link_opens(db: Db) {
    let app = spawn_app(db).await;
    let id = app
        .submit_ok("relocation", &crate::helpers::example("relocation"))
        .await;
    let (_, status) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    let steps = status["services"].as_array().expect("services");
    let step = steps
        .iter()
        .find(|s| s["kind"] == "human")
        .expect("a consent step");
    let page_url = step["confirm_page"]
        .as_str()
        .expect("a page for the person");
    let path = &page_url[page_url.find("/confirmations/").expect("path")..];
    let response = app
        .pages
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("page");
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    let cookie = cookie.split(';').next().expect("pair").to_owned();
    let page = response.text().await.expect("text");
    assert!(
        page.contains("Згода власника житла") && page.contains("Підтверджую"),
        "{page}"
    );
    assert!(
        page.contains("Ірина Шевчук") && page.contains("вул. Велика Васильківська"),
        "who asks, and for which home: {page}"
    );
    let token = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a hidden CSRF field")
        .to_owned();
    let post = |body: String| {
        app.pages
            .post(format!("{}{path}", app.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", cookie.clone())
            .body(body)
            .send()
    };
    let forged = post(format!("_csrf={}&_lang=uk&decision=code", "0".repeat(32)));
    assert_eq!(forged.await.expect("post").status().as_u16(), 403);
    // The person asks for the code on the page, and it comes to the phone the application gives.
    let sent = post(format!("_csrf={token}&_lang=uk&decision=code"))
        .await
        .expect("post");
    let sent = sent.text().await.expect("text");
    assert!(
        sent.contains("Код надіслано на номер +380•••••2233"),
        "{sent}"
    );
    let without = post(format!(
        "_csrf={token}&_lang=uk&decision=confirmed&reason=&code="
    ));
    let without = without.await.expect("post").text().await.expect("text");
    assert!(without.contains("Код відсутній, неправильний"), "{without}");
    let code = app.last_code().await;
    let body = format!("_csrf={token}&_lang=uk&decision=confirmed&reason=&code={code}");
    let done = post(body).await.expect("post");
    assert_eq!(done.status().as_u16(), 200);
    let done = done.text().await.expect("text");
    assert!(done.contains("підтвердження отримано"), "{done}");
    let finished = app.wait_until_done(&id).await;
    assert_eq!(finished["status"], "completed", "{finished:#}");
    let (_, again) = get(&app, path).await;
    assert!(
        !again.contains("Підтверджую"),
        "a finished step offers no buttons"
    );
}

async fn start_page_lists_every_life_event_in_ukrainian_and_in_english(db: Db) {
    let app = spawn_app(db).await;
    let (status, uk) = get(&app, "/").await;
    assert_eq!(status, 200);
    assert!(uk.contains("<html lang=\"uk\">"));
    for title in [
        "Народження дитини",
        "Зміна місця проживання",
        "Початок підприємницької діяльності",
    ] {
        assert!(uk.contains(title), "{title}");
    }
    let (status, en) = get(&app, "/?lang=en").await;
    assert_eq!(status, 200);
    assert!(en.contains("<html lang=\"en\">") && en.contains("Birth of a child"));
}

async fn services_page_offers_the_optional_services_with_what_they_need(db: Db) {
    let app = spawn_app(db).await;
    let (status, page) = get(&app, "/events/birth").await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"social.birth-assistance\""));
    assert!(
        page.contains("Виплата допомоги"),
        "what birth assistance needs"
    );
    let (status, _) = get(&app, "/events/no-such-event").await;
    assert_eq!(status, 404);
}

async fn the_form_asks_only_for_what_the_chosen_services_need(db: Db) {
    let app = spawn_app(db).await;
    let (status, page) = get(&app, "/events/birth/form?choice=1&lang=en").await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"/children/0/surname\"") && page.contains("Surname"));
    assert!(!page.contains("name=\"/family/children_count\""));
    let (_, page) = get(
        &app,
        "/events/birth/form?choice=1&service=social.large-family",
    )
    .await;
    assert!(page.contains("name=\"/family/children_count\""));
}

async fn a_form_post_without_the_csrf_token_or_with_a_wrong_one_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let (cookie, token) = csrf(&app, "birth").await;
    let (status, _, page) = post(&app, "birth", None, &birth_form(&token)).await;
    assert_eq!(status, 403);
    assert!(page.contains("Форму не прийнято"));
    let wrong = "0".repeat(32);
    let (status, _, _) = post(&app, "birth", Some(&cookie), &birth_form(&wrong)).await;
    assert_eq!(status, 403);
    let (status, _, _) = post(&app, "birth", Some(&cookie), &birth_form("")).await;
    assert_eq!(status, 403);
}

async fn a_form_with_errors_comes_back_with_a_summary_and_every_value_kept_and_escaped(db: Db) {
    let app = spawn_app(db).await;
    let (cookie, token) = csrf(&app, "birth").await;
    let mut form = birth_form(&token);
    set(&mut form, "/children/0/given_name", "Мар'яна");
    set(
        &mut form,
        "/children/0/surname",
        "<script>alert(1)</script>",
    );
    set(&mut form, "/mother/rnokpp", "3440712341");
    set(
        &mut form,
        "/children/0/medical_conclusion/issued_on",
        "31.02.2026",
    );
    let (status, _, page) = post(&app, "birth", Some(&cookie), &form).await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"error-summary\""));
    assert!(
        page.contains("href=\"#f.mother.rnokpp\""),
        "the summary links to the field"
    );
    assert!(
        page.contains("id=\"f.mother.rnokpp-error\""),
        "the message is next to the field"
    );
    assert!(page.contains("РНОКПП має складатися з 10 цифр"));
    assert!(page.contains("Такої дати не існує: 31.02.2026"));
    assert!(
        page.contains("value=\"Мар&#x27;яна\""),
        "the apostrophe is kept, as text"
    );
    assert!(page.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert!(!page.contains("<script>alert"), "nothing typed runs");
    assert!(page.contains("value=\"3440712341\""));
}

async fn a_valid_form_is_accepted_and_sends_the_person_to_the_application_page(db: Db) {
    let app = spawn_app(db).await;
    let (cookie, token) = csrf(&app, "birth").await;
    let mut form = birth_form(&token);
    set(&mut form, "/children/0/birth_date", "19.11.2026");
    let (status, location, _) = post(&app, "birth", Some(&cookie), &form).await;
    assert_eq!(status, 303);
    let location = location.expect("a Location");
    let id = location
        .strip_prefix("/applications/")
        .and_then(|rest| rest.split('?').next())
        .expect("the application's page");
    // The same form sent again (a double click) is the same application.
    let (again, second, _) = post(&app, "birth", Some(&cookie), &form).await;
    assert_eq!((again, second.as_deref()), (303, Some(location.as_str())));
    let (status, api) = app.get_json(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(api["bundle"], "birth");
    assert_eq!(api["services"][0]["service"], "civil.birth-registration");
    app.wait_until_done(id).await;
    let (status, page) = get(&app, &location).await;
    assert_eq!(status, 200);
    assert!(page.contains("Народження дитини") && page.contains("data-final=\"true\""));
    assert!(page.contains(&format!("/applications/{id}/receipt.pdf")));
    let (status, live) = get(&app, &format!("/applications/{id}/live?lang=en")).await;
    assert_eq!(status, 200);
    assert!(live.contains("Completed"));
}

async fn the_application_page_shows_names_as_text_and_what_is_left_to_do(db: Db) {
    let app = spawn_app(db).await;
    let mut body = example("relocation");
    // Names refuse markup now (docs/domain.md); what they may hold is shown as typed text.
    body["data"]["people"][2]["given_name"] = "Мар'яна".into();
    let id = app.submit_ok("relocation", &body).await;
    let (status, page) = get(&app, &format!("/applications/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Що ще потрібно зробити") && page.contains("Згода власника житла"));
    assert!(
        page.contains("/confirmations/") && !page.contains("/api/v1/confirmations/"),
        "the homeowner's link opens their page"
    );
    assert!(page.contains("Марʼяна"), "the apostrophe stored as U+02BC");
    assert!(!page.contains("<script>alert"));
    let (status, _) = get(&app, "/applications/not-an-id").await;
    assert_eq!(status, 404);
}

async fn adding_a_row_and_switching_the_language_keep_every_value(db: Db) {
    let app = spawn_app(db).await;
    let (cookie, token) = csrf(&app, "relocation").await;
    let base = vec![
        ("_csrf".to_owned(), token.clone()),
        ("_choice".to_owned(), "1".to_owned()),
        ("_rows/people".to_owned(), "1".to_owned()),
        ("/people/0/given_name".to_owned(), "Мар'яна".to_owned()),
    ];
    let mut add = base.clone();
    add.push(("_action".into(), "add:/people".into()));
    let (status, _, page) = post(&app, "relocation", Some(&cookie), &add).await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"/people/1/surname\"") && page.contains("autofocus"));
    assert!(page.contains("value=\"Мар&#x27;яна\""));
    assert!(
        !page.contains("id=\"error-summary\""),
        "adding a row judges nothing"
    );
    let mut english = base;
    english.push(("_action".into(), "lang:en".into()));
    let (status, _, page) = post(&app, "relocation", Some(&cookie), &english).await;
    assert_eq!(status, 200);
    assert!(page.contains("<html lang=\"en\">") && page.contains("Submit the application"));
    assert!(page.contains("value=\"Мар&#x27;яна\""));
}

/// Run each page scenario on SQLite only: rendering does not depend on the database.
macro_rules! on_sqlite {
    ($($scenario:ident),* $(,)?) => {
        mod on_sqlite_only {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(crate::helpers::Db::Sqlite).await;
                }
            )*
        }
    };
}

on_sqlite!(
    start_page_lists_every_life_event_in_ukrainian_and_in_english,
    services_page_offers_the_optional_services_with_what_they_need,
    the_form_asks_only_for_what_the_chosen_services_need,
    a_form_post_without_the_csrf_token_or_with_a_wrong_one_is_refused,
    a_form_with_errors_comes_back_with_a_summary_and_every_value_kept_and_escaped,
    the_application_page_shows_names_as_text_and_what_is_left_to_do,
    adding_a_row_and_switching_the_language_keep_every_value,
);

// Accepting stores an application and binds its submission key: on both databases.
on_both_databases!(
    a_valid_form_is_accepted_and_sends_the_person_to_the_application_page,
    the_homeowner_confirms_from_the_page_their_link_opens,
);
