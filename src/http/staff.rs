//! Managing staff over the API: `POST /api/v1/users` adds an account, `DELETE
//! /api/v1/users/{login}` disables one. An admin manages any (but does not disable themselves);
//! a supervisor the clerks and registrars of their own institution (`access::may_add_staff`,
//! `access::may_disable_staff`). The rules for the account itself are `people`'s, as for
//! `onestop user add` and `onestop user disable`.

use super::{ApiError, AppState, auth};
use crate::access::{self, Role};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// A new account.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    login: String,
    role: String,
    #[serde(default)]
    institution: Option<String>,
    password: String,
}

/// `POST /api/v1/users`: 201 with the account; 403 for a role that may not; 409 for a taken
/// login; 422 for a bad login, role, institution or password.
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
        Ok(()) => Ok(HttpResponse::Created().json(json!({
            "login": body.login, "institution": institution, "role": role.as_str(),
        }))),
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

/// `DELETE /api/v1/users/{login}`: 204, the account disabled and its sessions ended; 404 for an
/// account that is not there (or not the supervisor's to see); 403 for a role that may not.
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
