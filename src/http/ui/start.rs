//! The first two pages: the life events, and one event's services with the optional ones to
//! choose (each with what more it would ask). Choosing sends the person to the form of exactly
//! those services (`GET`, service ids only in the address: no personal data).

use super::render::{Page, Problem, Switch, html};
use super::schema;
use crate::http::AppState;
use crate::lang::Lang;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

impl LangQuery {
    pub fn lang(&self) -> Lang {
        Lang::or_ukrainian(self.lang.as_deref())
    }
}

/// `GET /`: the life events, each with its one-line description.
pub async fn start(
    state: web::Data<AppState>,
    query: web::Query<LangQuery>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, Problem> {
    let lang = query.lang();
    let caller = super::session::caller(&state, &req)
        .await
        .map_err(|e| Problem::from_api(e, lang))?;
    let staff = match &caller {
        crate::access::Caller::Staff(s) => Some(json!({
            "login": s.who, "institution": s.institution, "role": s.role.as_str(),
        })),
        _ => None,
    };
    let (csrf_token, cookie) = super::csrf::token(&req);
    let events: Vec<Value> = state
        .catalog
        .bundles
        .values()
        .map(|b| {
            json!({
                "href": format!("/events/{}?lang={}", b.id, lang.code()),
                "title": lang.pick(&b.title),
                "description": lang.pick(&b.description),
                "public": b.public,
            })
        })
        .collect();
    let page = Page {
        template: "start",
        title: lang.text("start_title"),
        lang,
        switch: Switch::Link(format!("/?lang={}", lang.other().code())),
        data: json!({ "events": events, "staff": staff, "csrf": csrf_token }),
    };
    let mut response = html(StatusCode::OK, page.render()?);
    super::csrf::set_cookie(&mut response, cookie);
    Ok(response)
}

/// `GET /events/{bundle}`: the services, the optional ones to tick.
pub async fn services(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
) -> Result<HttpResponse, Problem> {
    let lang = query.lang();
    let (bundle, form) = crate::http::bundles::bundle_form(&state, &path, None)
        .map_err(|e| Problem::from_api(e, lang))?;
    let titles: Vec<(String, String)> = schema::fields(&form)
        .into_iter()
        .map(|f| (f.name, lang.pick(&f.title)))
        .collect();
    let mut always = Vec::new();
    let mut optional = Vec::new();
    for step in &bundle.steps {
        let service = state.catalog.service(&step.service);
        let title = service.map_or_else(|| step.service.to_string(), |s| lang.pick(&s.title));
        let authority = service.map(|s| lang.pick(&s.authority)).unwrap_or_default();
        if !step.optional {
            always.push(
                json!({ "title": title, "authority": authority, "each": step.repeat.is_some() }),
            );
            continue;
        }
        let needs = needs(bundle, &form, &titles, &step.service);
        optional.push(
            json!({ "id": step.service, "title": title, "authority": authority, "needs": needs }),
        );
    }
    let title = lang.pick(&bundle.title);
    let page = Page {
        template: "services",
        title: title.clone(),
        lang,
        switch: Switch::Link(format!(
            "/events/{}?lang={}",
            bundle.id,
            lang.other().code()
        )),
        data: json!({
            "id": bundle.id,
            "title": title,
            "description": lang.pick(&bundle.description),
            "always": always,
            "optional": optional,
        }),
    };
    Ok(html(StatusCode::OK, page.render()?))
}

/// What only `service` asks for (nothing a mandatory service needs anyway): the titles of those
/// fields, or `None`.
fn needs(
    bundle: &crate::bundle::Bundle,
    form: &crate::form::CombinedForm,
    titles: &[(String, String)],
    service: &crate::bundle::ServiceId,
) -> Option<String> {
    let mandatory = |s: &crate::bundle::ServiceId| bundle.step(s).is_some_and(|x| !x.optional);
    let needs: Vec<&str> = titles
        .iter()
        .filter(|(name, _)| {
            (form.fields.iter())
                .find(|(field, _)| field == name)
                .is_some_and(|(_, who)| who.contains(service) && !who.iter().any(mandatory))
        })
        .map(|(_, title)| title.as_str())
        .collect();
    (!needs.is_empty()).then(|| needs.join("; "))
}
