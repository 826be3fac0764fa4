//! The work list over the API: `GET /api/v1/applications` — the caller's institution's
//! applications newest first, filtered by stage, dates and a search, a page at a time, with
//! the counts of each stage. The same list as the page `/staff/applications`.

use super::audit::moment;
use super::bodies::{ErrorBody, Links, WorkListPage, WorkRow};
use super::status::timestamp;
use super::{ApiError, AppState, auth};
use crate::access;
use crate::applications::worklist::{WorkPage, parse_cursor};
use crate::lifecycle::Stage;
use crate::store::ListQuery;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;

/// The most rows a page may ask for.
const MOST: i64 = 200;

/// `GET /api/v1/applications` query: every part optional.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// `attention`, `person`, `progress` or `done`; all when absent.
    pub stage: Option<String>,
    /// Submitted from (a date in Kyiv, or an RFC 3339 time) …
    pub from: Option<String>,
    /// … to (a date's end in Kyiv, or a time), inclusive.
    pub to: Option<String>,
    /// An application number, a surname, an RNOKPP or a document number, or their start.
    pub q: Option<String>,
    /// The `next` of the page before.
    pub cursor: Option<String>,
    /// 1 to 200 (50 when absent).
    pub limit: Option<i64>,
}

impl Filter {
    /// The store's query for `institution`, or what is wrong with the filter (422, by field).
    pub fn query(&self, institution: String) -> Result<(ListQuery, i64), ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=MOST).contains(&limit) {
            return Err(ApiError::invalid("/limit", "Від 1 до 200 заяв на сторінку"));
        }
        let stage = match self.stage.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => Some(Stage::parse(text).ok_or_else(|| {
                ApiError::invalid("/stage", "Очікується attention, person, progress або done")
            })?),
        };
        let time = |text: &Option<String>, pointer, end| {
            (text.as_deref().filter(|t| !t.is_empty()))
                .map(|t| moment(t, pointer, end))
                .transpose()
        };
        let after = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(text) => Some(parse_cursor(text).ok_or_else(|| {
                ApiError::invalid(
                    "/cursor",
                    "Курсор сторінки недійсний: візьміть next попередньої",
                )
            })?),
        };
        let search = self.q.clone().filter(|q| !q.trim().is_empty());
        if search
            .as_ref()
            .is_some_and(|q| q.chars().count() > 100 || q.chars().any(char::is_control))
        {
            return Err(ApiError::invalid(
                "/q",
                "Пошук: до 100 знаків, без керівних символів",
            ));
        }
        let query = ListQuery {
            institution,
            stage,
            from: time(&self.from, "/from", false)?,
            to: time(&self.to, "/to", true)?.map(|t| t + 1),
            search,
            after,
            now: crate::store::now_ms(),
        };
        Ok((query, limit))
    }
}

/// The work list: the caller's institution's applications newest first, filtered by stage,
/// dates and a search, a page at a time, with the counts of each stage. Clerks, registrars and
/// supervisors. Each page is recorded in the audit trail.
#[utoipa::path(
    tag = "applications",
    operation_id = "workList",
    security(("bearer" = [])),
    params(Filter),
    responses(
        (status = 200, description = "A page", body = WorkListPage),
        (status = 400, description = "An unknown parameter", body = ErrorBody),
        (status = 403, description = "The caller has no institution's list (auditors, admins, citizens)", body = ErrorBody),
        (status = 422, description = "A bad stage, date, cursor, limit or search", body = ErrorBody),
    ),
)]
#[get("/applications")]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    filter: web::Query<Filter>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::api_caller(&state, &req).await?;
    let institution = access::may_list(&caller).map_err(|r| auth::refused(r, ""))?;
    let (query, limit) = filter.query(institution)?;
    let audit = auth::entry(&caller, crate::audit::action::APPLICATION_LIST);
    let page = state.applications.work_list(query, limit, audit).await?;
    Ok(HttpResponse::Ok().json(body(&page)))
}

/// The answer: the page's applications, the counts, and the next page's cursor.
fn body(page: &WorkPage) -> WorkListPage {
    let applications = (page.items.iter())
        .map(|item| WorkRow {
            id: item.id.clone(),
            bundle: item.bundle.clone(),
            event: item.event.clone(),
            name: item.name.clone(),
            status: item.status.clone(),
            stage: item.stage,
            submitted_at: timestamp(item.submitted_at),
            submitted_by: item.submitted_by.clone(),
            links: Links::of(&item.id),
        })
        .collect();
    WorkListPage {
        applications,
        counts: page.counts,
        next: page.next.clone(),
    }
}
