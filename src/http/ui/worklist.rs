//! The staff's work list (`/staff/applications`): the institution's applications newest first,
//! the count of each stage on its tab, a search and dates — the same list, rules and record
//! (`application.list`) as `GET /api/v1/applications`.

use super::render::{Page, Problem, Switch, html};
use crate::access::{self, Caller};
use crate::applications::worklist::WorkPage;
use crate::http::worklist::Filter;
use crate::http::{AppState, auth};
use crate::lang::Lang;
use crate::lifecycle::Stage;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

/// The page's query: the API's filter, and the language.
#[derive(Debug, Default, Deserialize)]
pub struct Search {
    lang: Option<String>,
    stage: Option<String>,
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

/// `GET /staff/applications`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<Search>,
) -> Result<HttpResponse, Problem> {
    let lang = Lang::or_ukrainian(query.lang.as_deref());
    let caller = super::session::caller(&state, &req).await;
    let caller = caller.map_err(|e| Problem::from_api(e, lang))?;
    if caller == Caller::Nobody {
        return Ok(super::session::to_sign_in("/staff/applications", lang));
    }
    let institution =
        access::may_list(&caller).map_err(|r| Problem::from_api(auth::refused(r, ""), lang))?;
    let filter = Filter {
        stage: query.stage.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
        q: query.q.clone(),
        cursor: query.cursor.clone(),
        limit: None,
    };
    let (page, error) = match filter.query(institution) {
        Ok((list, limit)) => {
            let audit = auth::entry(&caller, crate::audit::action::APPLICATION_LIST);
            let page = (state.applications.work_list(list, limit, audit).await)
                .map_err(|e| Problem::from_api(e.into(), lang))?;
            (Some(page), None)
        }
        Err(e) => (None, Some(Problem::from_api(e, lang))),
    };
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let page = Page {
        template: "staff_applications",
        title: lang.text("work_title"),
        lang,
        switch: Switch::Link(query.link(lang.other(), None)),
        data: json!({
            "search": query.kept(),
            "tabs": page.as_ref().map(|p| query.tabs(p, lang)),
            "rows": page.as_ref().map(|p| rows(p, lang)),
            "next": page.as_ref().and_then(|p| p.next.as_deref()).map(|c| query.link(lang, Some(c))),
            "error": error.map(|e| e.message().to_owned()),
        }),
    };
    Ok(html(status, page.render()?))
}

impl Search {
    /// The fields as typed, for the form to show again.
    fn kept(&self) -> Value {
        let keep = |v: &Option<String>| v.clone().unwrap_or_default();
        json!({
            "stage": keep(&self.stage), "q": keep(&self.q),
            "from": keep(&self.from), "to": keep(&self.to),
        })
    }

    /// This list in `lang` (from its first page, or at `cursor`).
    fn link(&self, lang: Lang, cursor: Option<&str>) -> String {
        self.link_to(lang, self.stage.as_deref(), cursor)
    }

    fn link_to(&self, lang: Lang, stage: Option<&str>, cursor: Option<&str>) -> String {
        let field = |v: Option<&str>| super::session::form_urlencoded(v.unwrap_or_default());
        format!(
            "/staff/applications?lang={}&stage={}&q={}&from={}&to={}&cursor={}",
            lang.code(),
            field(stage),
            field(self.q.as_deref()),
            field(self.from.as_deref()),
            field(self.to.as_deref()),
            field(cursor),
        )
    }

    /// A tab per stage with its count, and one for all; the current one marked.
    fn tabs(&self, page: &WorkPage, lang: Lang) -> Vec<Value> {
        let current = self.stage.as_deref().unwrap_or_default();
        let all: i64 = Stage::ALL.iter().map(|s| page.counts.get(*s)).sum();
        let mut tabs = vec![json!({
            "label": lang.text("stage_all"), "count": all, "stage": "all",
            "href": self.link_to(lang, None, None), "current": current.is_empty(),
        })];
        for stage in Stage::ALL {
            tabs.push(json!({
                "label": lang.text(&format!("stage_{}", stage.as_str())),
                "count": page.counts.get(stage),
                "stage": stage.as_str(),
                "href": self.link_to(lang, Some(stage.as_str()), None),
                "current": current == stage.as_str(),
            }));
        }
        tabs
    }
}

/// The page's rows: times in Kyiv, words in the page's language.
fn rows(page: &WorkPage, lang: Lang) -> Vec<Value> {
    (page.items.iter())
        .map(|item| {
            json!({
                "id": item.id,
                "href": format!("/staff/applications/{}?lang={}", item.id, lang.code()),
                "name": item.name,
                "event": lang.pick(&item.event),
                "submitted_at": crate::receipt::kyiv_time(item.submitted_at),
                "submitted_by": item.submitted_by,
                "stage": item.stage.as_str(),
                "stage_label": lang.text(&format!("stage_{}", item.stage.as_str())),
            })
        })
        .collect()
}
