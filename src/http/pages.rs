//! The public verification page (status only, no personal data). The pages for applicants
//! live in `http::ui`.

use super::{ApiError, AppState};
use crate::bundle::Bundle;
use crate::store::{SubKind, SubRequestRecord};
use actix_web::{HttpRequest, HttpResponse, web};
use handlebars::Handlebars;
use serde_json::{Value, json};
use std::sync::LazyLock;

// The page's own CSS (no stylesheet to load): it must fit a 360 px screen without sideways
// scrolling (WCAG 1.4.10), hence the narrow paddings there; a check code stays on one line.
const LAYOUT_CSS: &str = "body{font-family:system-ui,'DejaVu Sans',sans-serif;max-width:52rem;margin:0 auto;padding:1rem;color:#1b1b1b}
header{background:#0057b8;color:#fff;padding:1rem;border-bottom:.4rem solid #ffd700}
h1{margin:0;font-size:1.5rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:.4rem .3rem;text-align:left}
.succeeded{color:#1a7f37}.failed,.blocked{color:#b42318}code{background:#f3f3f3;padding:0 .2rem;white-space:nowrap}
@media (max-width:30rem){body{padding:.75rem}header{padding:.75rem}}";

// Ukrainian first; each English part is marked as such (WCAG 3.1.2, language of parts), so a
// screen reader reads it with an English voice.
const VERIFY: &str = r#"<!doctype html><html lang="uk"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Перевірка квитанції / Receipt verification</title><style>{{{css}}}</style></head><body>
<header><h1>Перевірка квитанції / <span lang="en">Receipt verification</span></h1></header>
<main>
<p>Заява № / <span lang="en">Application No.</span>: <strong>{{application}}</strong></p>
<p>Життєва подія / <span lang="en">Life event</span>: {{event.uk}} / <span lang="en">{{event.en}}</span></p>
<p>Подано / <span lang="en">Submitted</span>: {{submitted_at}} (за Києвом / <span lang="en">Kyiv time</span>)</p>
<p>Стан / <span lang="en">Status</span>: <strong>{{words.uk}} / <span lang="en">{{words.en}}</span></strong> — квитанцію з цим станом видано / <span lang="en">a receipt of this state was issued</span> {{state_as_of}}</p>
<table><thead><tr><th scope="col">Послуга / <span lang="en">Service</span></th><th scope="col">Статус / <span lang="en">Status</span></th><th scope="col">Код перевірки / <span lang="en">Check code</span></th></tr></thead><tbody>
{{#each services}}<tr><td>{{title.uk}} / <span lang="en">{{title.en}}</span></td><td class="{{status}}">{{words.uk}} / <span lang="en">{{words.en}}</span></td><td><code>{{check_code}}</code></td></tr>{{/each}}
</tbody></table>
<p>Коди перевірки мають збігатися з кодами у квитанції; інші дані тут не показано. / <span lang="en">The check codes must match those on the receipt; nothing else is shown here.</span></p>
</main>
</body></html>"#;

static PAGES: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    for (name, template) in [("verify", VERIFY)] {
        if let Err(e) = hb.register_template_string(name, template) {
            tracing::error!(error = %e, page = name, "Built-in page template does not compile");
        }
    }
    hb
});

fn page(name: &str, data: &Value) -> Result<HttpResponse, ApiError> {
    let html = PAGES
        .render(name, data)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// `GET /verify/{code}`: HTML for people, JSON for machines (`Accept: application/json`).
pub async fn verify(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    let not_found = || ApiError::NotFound("Квитанцію не знайдено".into());
    if code.len() != 32 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let application = state
        .store
        .application_by_verify_code(&code)
        .await?
        .ok_or_else(not_found)?;
    let subs = state.store.sub_requests(&application.id).await?;
    let (catalog, bundle) = state
        .catalog
        .of(&application.bundle_id, application.bundle_version);
    // The receipt's own view gives the same check codes the receipt prints; of it, only the
    // codes and statuses are shown (its titles may name family members).
    // After a purge the codes kept then stand in for the view, which needs the removed data.
    let codes: Vec<String> = if application.purged_at.is_some() {
        let kept = state.store.check_codes(&application.id).await?;
        subs.iter()
            .map(|s| kept.get(&s.id).cloned().unwrap_or_default())
            .collect()
    } else {
        let receipt = state
            .receipt_view(&application, &subs, crate::receipt::Languages::default())
            .map_err(|e| ApiError::Internal(e.into()))?;
        receipt
            .services
            .into_iter()
            .map(|line| line.digest)
            .collect()
    };
    let services = service_rows(catalog, bundle, &subs, &codes);
    let (label, words) = status_fields(application.status.as_str());
    let data = json!({
        "css": LAYOUT_CSS,
        "application": application.id,
        "event": bundle.map(|b| &b.title),
        "status": application.status,
        "status_label": label,
        "words": words,
        "submitted_at": crate::receipt::kyiv_time(application.created_at),
        "state_as_of": crate::receipt::kyiv_time(application.updated_at),
        "services": services,
    });
    if wants_json(&req) {
        return Ok(HttpResponse::Ok().json(for_machines(data)));
    }
    page("verify", &data)
}

/// The verify page's data as its JSON gives it: without the page's CSS and the status words
/// split for the page (`status_label` has them joined).
fn for_machines(mut data: Value) -> Value {
    if let Some(map) = data.as_object_mut() {
        map.remove("css");
        map.remove("words");
    }
    if let Some(rows) = data["services"].as_array_mut() {
        for row in rows.iter_mut().filter_map(Value::as_object_mut) {
            row.remove("words");
        }
    }
    data
}

/// One row per call: its title, status and check code (the receipt's), nothing personal.
fn service_rows(
    catalog: &crate::bundle::Catalog,
    bundle: Option<&Bundle>,
    subs: &[SubRequestRecord],
    codes: &[String],
) -> Vec<Value> {
    subs.iter()
        .zip(codes)
        .map(|(s, code)| {
            let title = match s.kind {
                SubKind::Service => catalog.service(&s.service_id).map(|x| &x.title),
                SubKind::Human => bundle
                    .and_then(|b| b.human_steps.iter().find(|h| h.id == s.service_id))
                    .map(|h| &h.title),
            };
            let (label, words) = status_fields(s.status.as_str());
            json!({
                "service": s.service_id,
                "item": s.item + 1,
                "title": title,
                "status": s.status,
                "status_label": label,
                "words": words,
                "check_code": code,
            })
        })
        .collect()
}

/// Whether the client asked for JSON (`Accept: application/json`).
fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get("Accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// A status in words, Ukrainian and English: the page shows each in its own language
/// (`words`), the JSON gives them joined (`status_label`).
fn status_words(status: &str) -> (&'static str, &'static str) {
    match status {
        "succeeded" | "completed" => ("Виконано", "Completed"),
        "completed_with_failures" => ("Виконано частково", "Completed with failures"),
        "failed" => ("Помилка", "Failed"),
        "blocked" => ("Заблоковано", "Blocked"),
        "awaiting" => ("Очікує відповіді", "Awaiting an answer"),
        _ => ("В обробці", "In progress"),
    }
}

/// A status's `status_label` and `words`, as the verify page's data has them.
fn status_fields(status: &str) -> (String, Value) {
    let (uk, en) = status_words(status);
    (format!("{uk} / {en}"), json!({ "uk": uk, "en": en }))
}
