//! Who may do what. A request's caller is nobody, a member of staff (a person signed in, or a
//! machine client's token) acting for one institution with one role, or a citizen holding the
//! private secret of the one application they submitted. The rules below decide every route;
//! the HTTP edge only finds out who the caller is and maps the decision to 401, 403 or 404.
//!
//! The rules are pure: no database, no clock, no I/O. The secrets and the passwords that prove
//! a caller are in `secret` and `password`; keeping them (hashed) is the store's.

pub mod password;
pub mod secret;

use crate::lifecycle::ApplicationId;

/// A role of staff (and of a machine client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Submits the bundles their institution offers; reads and lists its applications.
    Clerk,
    /// A clerk who may also correct-and-retry a failed service and reopen a human step.
    Registrar,
    /// A registrar who also manages the clerks and registrars of their institution.
    Supervisor,
    /// Reads the audit trail; no personal data.
    Auditor,
    /// Manages institutions, staff, machine tokens and settings; no personal data.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Clerk,
        Role::Registrar,
        Role::Supervisor,
        Role::Auditor,
        Role::Admin,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Registrar => "registrar",
            Role::Supervisor => "supervisor",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// Whether the role works with applications (and so with personal data) at all.
    pub(crate) fn handles_applications(self) -> bool {
        matches!(self, Role::Clerk | Role::Registrar | Role::Supervisor)
    }

    /// Whether the role may correct an application and run a failed service again.
    fn corrects(self) -> bool {
        matches!(self, Role::Registrar | Role::Supervisor)
    }

    /// Whether the role must act for an institution (an admin or auditor may answer for all).
    pub fn needs_institution(self) -> bool {
        self.handles_applications()
    }
}

/// Staff, signed in or by a machine client's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// The login of a person, or `token:NAME` for a machine client; recorded as the author of
    /// what they submit and correct.
    pub who: String,
    pub institution: Option<String>,
    pub role: Role,
    /// The bundles the institution offers.
    pub offers: Vec<String>,
    /// A session whose password someone else set: it may only set the person's own.
    pub one_time_password: bool,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Nobody,
    Staff(Staff),
    /// A citizen with the secret of their own application.
    Citizen(ApplicationId),
}

/// What may be done to one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Its status, data, receipt and live page.
    Read,
    /// Correct its data and run a failed service again, or reopen a human step.
    Correct,
    /// An auditor's look at its personal data, with a reason, itself recorded (`application.open`).
    Open,
}

/// A refusal, worded at the edge: 401, 403 or 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No credentials: sign in first.
    SignIn,
    /// The caller's role may not do this.
    Forbidden,
    /// Not the caller's to see: answered as if it did not exist.
    Hidden,
}

/// Who submits an application, recorded with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitter {
    /// Staff of `institution` (`who` as in [`Staff::who`]).
    Staff { who: String, institution: String },
    /// A citizen without an account, through a public bundle: they get the access secret.
    Citizen,
}

/// Whether `caller` may submit an application of `bundle` (`public` when citizens may submit it
/// online without an account).
pub fn may_submit(caller: &Caller, bundle: &str, public: bool) -> Result<Submitter, Refusal> {
    match caller {
        Caller::Nobody | Caller::Citizen(_) if public => Ok(Submitter::Citizen),
        Caller::Nobody | Caller::Citizen(_) => Err(Refusal::SignIn),
        Caller::Staff(staff) if !staff.role.handles_applications() => Err(Refusal::Forbidden),
        Caller::Staff(staff) => match &staff.institution {
            Some(institution) if staff.offers.iter().any(|b| b == bundle) => Ok(Submitter::Staff {
                who: staff.who.clone(),
                institution: institution.clone(),
            }),
            _ => Err(Refusal::Forbidden),
        },
    }
}

/// Whether `caller` may attempt `action` on any application at all, before one is looked up
/// (so that a role refused everywhere learns nothing of which ids exist).
pub fn may_attempt(caller: &Caller, action: Action) -> Result<(), Refusal> {
    match (caller, action) {
        (Caller::Nobody, _) => Err(Refusal::SignIn),
        (Caller::Staff(staff), Action::Open) if staff.role == Role::Auditor => Ok(()),
        (_, Action::Open) => Err(Refusal::Forbidden),
        (Caller::Citizen(_), Action::Read) => Ok(()),
        (Caller::Citizen(_), Action::Correct) => Err(Refusal::Forbidden),
        // A clerk's correction is refused on their own institution's application (403), and
        // hidden on another's (404): decided once the application is known.
        (Caller::Staff(staff), _) if staff.role.handles_applications() => Ok(()),
        (Caller::Staff(_), _) => Err(Refusal::Forbidden),
    }
}

/// Whether `caller` may do `action` to the application `id` of `institution` (`None`: submitted
/// by a citizen online). Another institution's or another citizen's application is hidden (404),
/// whatever the action, so ids cannot be probed; on one's own, a role that may not is refused.
pub fn may(
    caller: &Caller,
    action: Action,
    id: &ApplicationId,
    institution: Option<&str>,
) -> Result<(), Refusal> {
    may_attempt(caller, action)?;
    let own = match caller {
        Caller::Nobody => false,
        Caller::Citizen(mine) => mine == id,
        // An auditor of no one institution may open any application; of one, its own.
        Caller::Staff(staff) if action == Action::Open => {
            staff.institution.is_none() || staff.institution.as_deref() == institution
        }
        Caller::Staff(staff) => {
            staff.institution.is_some() && staff.institution.as_deref() == institution
        }
    };
    if !own {
        return Err(Refusal::Hidden);
    }
    match (caller, action) {
        (Caller::Staff(staff), Action::Correct) if !staff.role.corrects() => {
            Err(Refusal::Forbidden)
        }
        _ => Ok(()),
    }
}

/// Whether `caller` may add an account of `role` at `institution`, and at which institution it
/// is then made: an admin anywhere; a supervisor only clerks and registrars of their own.
pub fn may_add_staff(
    caller: &Caller,
    role: Role,
    institution: Option<&str>,
) -> Result<Option<String>, Refusal> {
    match caller {
        Caller::Nobody => Err(Refusal::SignIn),
        Caller::Staff(staff) if staff.role == Role::Admin => Ok(institution.map(str::to_owned)),
        Caller::Staff(staff) if staff.role == Role::Supervisor => {
            let own = staff.institution.as_deref();
            let theirs = institution.is_none_or(|i| Some(i) == own);
            let allowed = matches!(role, Role::Clerk | Role::Registrar);
            if theirs && allowed && own.is_some() {
                Ok(own.map(str::to_owned))
            } else {
                Err(Refusal::Forbidden)
            }
        }
        _ => Err(Refusal::Forbidden),
    }
}

/// Whether `caller` may see the work list, and whose: staff who work with applications see
/// their own institution's; nobody else has a list.
pub fn may_list(caller: &Caller) -> Result<String, Refusal> {
    match caller {
        Caller::Nobody => Err(Refusal::SignIn),
        Caller::Staff(staff) if staff.role.handles_applications() => {
            staff.institution.clone().ok_or(Refusal::Forbidden)
        }
        _ => Err(Refusal::Forbidden),
    }
}

/// Whether `caller` may see the registries' health: supervisors and admins.
pub fn may_watch_registries(caller: &Caller) -> Result<(), Refusal> {
    match caller {
        Caller::Nobody => Err(Refusal::SignIn),
        Caller::Staff(staff) if matches!(staff.role, Role::Supervisor | Role::Admin) => Ok(()),
        _ => Err(Refusal::Forbidden),
    }
}

/// Whether `caller` may see the whole of a value the pages mask (an IBAN, a document number):
/// those who correct it. A clerk sees its end only.
pub fn sees_whole(caller: &Caller) -> bool {
    matches!(caller, Caller::Staff(staff) if staff.role.corrects())
}

/// Whether `caller` may read the audit trail, and of which institution (`None`: all of it): an
/// auditor (of their institution when bound to one), a supervisor of their own institution.
pub fn may_read_audit(caller: &Caller) -> Result<Option<String>, Refusal> {
    match caller {
        Caller::Nobody => Err(Refusal::SignIn),
        Caller::Staff(staff) if staff.role == Role::Auditor => Ok(staff.institution.clone()),
        Caller::Staff(staff) if staff.role == Role::Supervisor && staff.institution.is_some() => {
            Ok(staff.institution.clone())
        }
        _ => Err(Refusal::Forbidden),
    }
}

/// Whether `caller` may disable the account of a `role` acting for `institution`: an admin any
/// other than their own; a supervisor the clerks and registrars of their own institution. An
/// account of another institution is hidden from a supervisor (404), so logins cannot be probed.
pub fn may_disable_staff(
    caller: &Caller,
    login: &str,
    role: Role,
    institution: Option<&str>,
) -> Result<(), Refusal> {
    match caller {
        Caller::Nobody => Err(Refusal::SignIn),
        Caller::Staff(staff) if staff.who == login => Err(Refusal::Forbidden),
        Caller::Staff(staff) if staff.role == Role::Admin => Ok(()),
        Caller::Staff(staff) if staff.role == Role::Supervisor => {
            if staff.institution.is_none() || staff.institution.as_deref() != institution {
                Err(Refusal::Hidden)
            } else if matches!(role, Role::Clerk | Role::Registrar) {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
        _ => Err(Refusal::Forbidden),
    }
}

#[cfg(test)]
mod tests;
