//! Who is calling: the API reads `Authorization: Bearer <secret>` (never a cookie), the pages
//! read their session cookie; both find the secret's hash in the store and make a
//! [`Caller`] of it. What the caller may do is `access`'s to decide; this maps its refusals to
//! 401, 403 and 404.

use super::{ApiError, AppState};
use crate::access::secret::{self, Kind};
use crate::access::{self, Action, Caller, Refusal, Role, Staff};
use crate::store::{ApplicationRecord, Credential, SubRequestRecord, now_ms};
use actix_web::HttpRequest;

/// A session is marked as used at most this often (a write), which is as precise as its idle
/// expiry needs.
const TOUCH_EVERY_MS: i64 = 60_000;

const SIGN_IN: &str = "Потрібно увійти: передайте Authorization: Bearer <токен> (sign in first)";
const NOT_VALID: &str =
    "Облікові дані недійсні або їхній строк минув (the credentials are not valid)";

/// The caller of an API request, from its `Authorization` header alone: nobody without one,
/// 401 for one that is malformed, unknown, expired or revoked.
pub async fn api_caller(state: &AppState, req: &HttpRequest) -> Result<Caller, ApiError> {
    match api_caller_even_one_time(state, req).await? {
        Caller::Staff(staff) if staff.one_time_password => {
            Err(ApiError::Forbidden(SET_PASSWORD.into()))
        }
        caller => Ok(caller),
    }
}

/// What a session whose password is one-time is told on every route but the session's own.
pub const SET_PASSWORD: &str = "Спершу замініть одноразовий пароль власним: POST \
     /api/v1/session/password (first replace the one-time password with your own)";

/// The caller of an API request, a session with a one-time password included (for the
/// session's own routes: who am I, sign out, set the password).
pub async fn api_caller_even_one_time(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Caller, ApiError> {
    if !req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
    {
        return Ok(Caller::Nobody);
    }
    let bearer = bearer(req).ok_or_else(|| ApiError::Unauthorized(NOT_VALID.into()))?;
    resolve(state, bearer)
        .await?
        .ok_or_else(|| ApiError::Unauthorized(NOT_VALID.into()))
}

/// The secret of a request's `Authorization: Bearer <secret>` header, when it has one.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The caller a secret stands for, or `None` when it stands for nobody (any more).
pub async fn resolve(state: &AppState, presented: &str) -> Result<Option<Caller>, ApiError> {
    let Some(kind) = secret::kind_of(presented) else {
        return Ok(None);
    };
    let hash = secret::hash(presented);
    if kind == Kind::Citizen {
        let application = state.store.application_by_access(&hash).await?;
        return Ok(application.map(Caller::Citizen));
    }
    let Some(credential) = state.store.credential(&hash).await? else {
        return Ok(None);
    };
    let now = now_ms();
    if !secret::constant_time_eq(credential.hash.as_bytes(), hash.as_bytes())
        || credential.kind != kind.as_str()
        || !live(state, &credential, now)
    {
        return Ok(None);
    }
    if kind == Kind::Session && now - credential.last_used_at > TOUCH_EVERY_MS {
        state.store.touch_credential(&hash, now).await?;
    }
    Ok(staff(credential).map(Caller::Staff))
}

/// Whether a credential is still good: not revoked, not past its end, and a session not idle
/// too long.
fn live(state: &AppState, credential: &Credential, now: i64) -> bool {
    let idle_ms = state.auth.session_idle_minutes.max(1) * 60_000;
    let idle = credential.kind == Kind::Session.as_str() && now - credential.last_used_at > idle_ms;
    !credential.revoked && now < credential.expires_at && !idle
}

/// The staff member a credential stands for (`None` if its role is not one we know).
fn staff(credential: Credential) -> Option<Staff> {
    let role = Role::parse(&credential.role)?;
    let who = match (&credential.login, &credential.name) {
        (Some(login), _) => login.clone(),
        (None, Some(name)) => format!("token:{name}"),
        (None, None) => return None,
    };
    Some(Staff {
        who,
        institution: credential.institution,
        role,
        offers: credential.offers,
        one_time_password: credential.password_one_time,
    })
}

/// A refusal as the API answers it; a hidden application `id` is answered as one that does not
/// exist.
pub fn refused(refusal: Refusal, id: &str) -> ApiError {
    match refusal {
        Refusal::SignIn => ApiError::Unauthorized(SIGN_IN.into()),
        Refusal::Forbidden => {
            ApiError::Forbidden("Ваша роль не дозволяє цю дію (your role may not do this)".into())
        }
        Refusal::Hidden => {
            ApiError::from(crate::applications::ApplicationError::NotFound(id.into()))
        }
    }
}

/// The application `id` with its calls, if `caller` may do `action` to it; else the refusal.
/// A role that may not do the action anywhere is refused before anything is looked up.
pub async fn application_for(
    state: &AppState,
    caller: &Caller,
    action: Action,
    id: &str,
) -> Result<(ApplicationRecord, Vec<SubRequestRecord>), ApiError> {
    access::may_attempt(caller, action).map_err(|r| refused(r, id))?;
    let (application, subs) = state.applications.load(id).await?;
    let institution = application.institution.as_deref();
    access::may(caller, action, &application.id, institution).map_err(|r| refused(r, id))?;
    Ok((application, subs))
}

/// Who `caller` is, as the audit trail names them: a login or `token:NAME` with role and
/// institution, `citizen` for a citizen's secret or someone applying online without one.
pub fn actor(caller: &Caller) -> crate::audit::Actor {
    match caller {
        Caller::Staff(staff) => crate::audit::Actor {
            name: staff.who.clone(),
            role: Some(staff.role.as_str().to_owned()),
            institution: staff.institution.clone(),
        },
        Caller::Citizen(_) | Caller::Nobody => crate::audit::Actor::new("citizen"),
    }
}

/// An audit entry of `action` by `caller` (in the request being answered).
pub fn entry(caller: &Caller, action: &'static str) -> crate::audit::Entry {
    crate::audit::Entry::new(actor(caller), action)
}
