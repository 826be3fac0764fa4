//! Managing staff over the API: `POST /api/v1/users` adds an account, `DELETE
//! /api/v1/users/{login}` disables one. An admin manages any (but does not disable themselves);
//! a supervisor the clerks and registrars of their own institution (`access::may_add_staff`,
//! `access::may_disable_staff`). The rules for the account itself are `people`'s, as for
//! `onestop user add` and `onestop user disable`.

use super::bodies::{ErrorBody, UserView};
use super::{ApiError, AppState, auth};
use crate::access::{self, Role};
use actix_web::{HttpRequest, HttpResponse, delete, post, web};
use serde::Deserialize;
use serde_json::json;

/// A new account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"login": "ward-clerk-2", "role": "clerk", "institution": "demo-ward", "password": "щонайменше-12-символів"}))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    login: String,
    /// `clerk`, `registrar`, `supervisor`, `auditor` or `admin`.
    role: String,
    #[serde(default)]
    institution: Option<String>,
    password: String,
}

/// Add an account: an admin any; a supervisor clerks and registrars of their own institution.
/// The password given is one-time: the person replaces it at their first sign-in.
#[utoipa::path(
    tag = "staff",
    operation_id = "addUser",
    security(("bearer" = [])),
    request_body = NewUser,
    responses(
        (status = 201, description = "Added", body = UserView),
        (status = 403, description = "The caller's role may not", body = ErrorBody),
        (status = 409, description = "The login is taken", body = ErrorBody),
        (status = 422, description = "A bad login, role, institution or password", body = ErrorBody),
    ),
)]
#[post("/users")]
pub async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::api_caller(&state, &req).await?;
    let Some(role) = Role::parse(&body.role) else {
        return Err(ApiError::invalid(
            "/role",
            "Невідома роль: clerk, registrar, supervisor, auditor або admin",
        ));
    };
    let institution = access::may_add_staff(&caller, role, body.institution.as_deref())
        .map_err(|r| auth::refused(r, ""))?;
    let user = (body.login.as_str(), institution.as_deref(), role.as_str());
    let by = auth::actor(&caller);
    let added = crate::people::add(&state.store, &by, user, &body.password, true).await;
    match added {
        Ok(()) => Ok(HttpResponse::Created().json(UserView {
            login: body.login.clone(),
            institution,
            role: role.as_str().to_owned(),
        })),
        Err(e) if e.downcast_ref::<crate::people::Taken>().is_some() => {
            Err(ApiError::Conflict(format!("Логін уже зайнято ({e})")))
        }
        Err(e) if e.downcast_ref::<crate::store::StoreError>().is_some() => {
            Err(ApiError::Internal(e))
        }
        Err(e) => Err(ApiError::invalid(
            "",
            &format!("Обліковий запис не створено: {e}"),
        )),
    }
}

/// Disable an account: its sessions end at once. 404 for an account that is not there (or not
/// the supervisor's to see).
#[utoipa::path(
    tag = "staff",
    operation_id = "disableUser",
    security(("bearer" = [])),
    params(("login" = String, Path, description = "The account's login")),
    responses(
        (status = 204, description = "Disabled"),
        (status = 403, description = "The caller's role may not, or it is their own account", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
    ),
)]
#[delete("/users/{login}")]
pub async fn disable(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth::api_caller(&state, &req).await?;
    // Who manages no one is refused before any login is looked up (nothing to probe).
    let manages = matches!(&caller, access::Caller::Staff(s)
        if matches!(s.role, Role::Admin | Role::Supervisor));
    if !manages {
        let refusal = match caller {
            access::Caller::Nobody => access::Refusal::SignIn,
            _ => access::Refusal::Forbidden,
        };
        return Err(auth::refused(refusal, ""));
    }
    let login = path.into_inner();
    let not_found = || ApiError::NotFound("Такого облікового запису немає".into());
    let user = state.store.user(&login).await?.ok_or_else(not_found)?;
    let role = Role::parse(&user.role).ok_or_else(not_found)?;
    access::may_disable_staff(&caller, &login, role, user.institution.as_deref()).map_err(|r| {
        match r {
            access::Refusal::Hidden => not_found(),
            other => auth::refused(other, ""),
        }
    })?;
    let entry = auth::entry(&caller, crate::audit::action::STAFF_CHANGE)
        .with(json!({ "change": "disable", "login": login }));
    if !state.store.disable_user(&login, &entry).await? {
        return Err(not_found());
    }
    Ok(HttpResponse::NoContent().finish())
}
