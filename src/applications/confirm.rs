//! Proof of who confirms a human step: the person the application names (a homeowner, a second
//! parent) gets an invitation with the link and, on asking, a one-time code on the phone the
//! application gives for them (six digits, valid ten minutes, used once). Their decision counts
//! only with the code; a missing, wrong or expired one is counted, and five lock the step until
//! the applicant asks for a new invitation. A reminder goes before the deadline. A step whose
//! bundle names no person is decided by its link alone, as before.

use super::{ApplicationError, Applications, identify};
use crate::access::secret::constant_time_eq;
use crate::audit::Actor;
use crate::bundle::{HumanStep, Person};
use crate::lifecycle::{Finish, SubStatus};
use crate::notify::{Address, Message};
use crate::store::{ApplicationRecord, SubRequestRecord, TokenTarget, now_ms};
use hmac::{KeyInit, Mac};

/// How long a code is valid.
pub(super) const CODE_VALID_MS: i64 = 10 * 60_000;
/// Wrong codes that lock the step.
pub const LOCK_AFTER: i64 = 5;
/// Codes sent per invitation, and the pause between two.
const MOST_SENDS: i64 = 5;
const PAUSE_MS: i64 = 60_000;

/// What is needed to invite people and check their codes.
#[derive(Clone)]
pub struct Confirming {
    pub notifier: crate::notify::Notifier,
    /// Links in invitations start here.
    pub public_url: String,
    /// Keys the codes' HMACs.
    pub code_key: String,
}

/// Why a code was not sent or not taken.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodeRefusal {
    #[error("the application gives no mobile number for this person")]
    NoPhone,
    #[error("a code was sent less than a minute ago")]
    TooSoon,
    #[error("too many codes were sent; ask the applicant for a new invitation")]
    TooMany,
    #[error("too many wrong codes; ask the applicant for a new invitation")]
    Locked,
    #[error("the code is missing, wrong or expired")]
    Wrong,
    #[error("this step is not open")]
    Closed,
    #[error("the message could not be sent")]
    NotSent,
    #[error("the applicant cannot confirm in the person's place")]
    OwnApplication,
    #[error("the identity provider vouches for another person")]
    NotThePerson,
}

impl Applications {
    /// Send a one-time code to the person of the step behind `token`; their number, masked.
    pub async fn send_code(&self, token: &str) -> Result<String, ApplicationError> {
        let (target, application, sub, step) = self.open_step(token).await?;
        if sub.status != SubStatus::Awaiting {
            return Err(CodeRefusal::Closed.into());
        }
        let Some(person) = &step.person else {
            return Err(CodeRefusal::NoPhone.into());
        };
        let phone = person
            .phone_in(&application.data)
            .ok_or(CodeRefusal::NoPhone)?;
        let state = self.store.code_state(&sub.id).await?;
        let now = now_ms();
        if state.locked {
            return Err(CodeRefusal::Locked.into());
        }
        if state.sends >= MOST_SENDS {
            return Err(CodeRefusal::TooMany.into());
        }
        if state.last_sent_at.is_some_and(|at| now - at < PAUSE_MS) {
            return Err(CodeRefusal::TooSoon.into());
        }
        let code = format!("{:06}", rand::random_range(0..1_000_000u32));
        let hmac = self.code_hmac(&target.id, &code);
        self.store
            .new_code(&sub.id, &hmac, now + CODE_VALID_MS, now)
            .await?;
        let text = format!(
            "onestop: код підтвердження {code}. Діє 10 хвилин. Нікому його не повідомляйте."
        );
        self.notify(phone, text).await?;
        Ok(mask(phone))
    }

    /// Take a decision on the step behind `token`, with the code when the step names its
    /// person; how the person was identified goes with it.
    pub async fn decide_with_code(
        &self,
        token: &str,
        confirmed: bool,
        reason: Option<&str>,
        code: Option<&str>,
    ) -> Result<(TokenTarget, Finish), ApplicationError> {
        let (target, _, sub, step) = self.open_step(token).await?;
        if step.person.is_none() {
            let person = Actor::new("person");
            return (self.decide(token, (confirmed, reason), "the link", person)).await;
        }
        // A step that ended answers as before (the same decision again: already applied; the
        // other one: a conflict), with no code to spend on it.
        if sub.status != SubStatus::Awaiting {
            let same = (sub.status == SubStatus::Succeeded && confirmed)
                || (sub.status == SubStatus::Failed && !confirmed);
            let finish = if same {
                Finish::AlreadyDone
            } else {
                Finish::Conflict(sub.status)
            };
            return Ok((target, finish));
        }
        let state = self.store.code_state(&sub.id).await?;
        if state.locked {
            return Err(CodeRefusal::Locked.into());
        }
        let given = code.map(str::trim).and_then(presented);
        let fresh = state.expires_at.is_some_and(|end| now_ms() < end);
        let right = match (&given, &state.code_hmac) {
            (Some((given, _)), Some(kept)) => constant_time_eq(
                self.code_hmac(&target.id, given).as_bytes(),
                kept.as_bytes(),
            ),
            _ => false,
        };
        if !(right && fresh) {
            let locked = self.store.wrong_code(&sub.id, LOCK_AFTER).await?;
            tracing::warn!(application.id = %target.application_id, locked, "Confirmation code refused");
            return Err(if locked {
                CodeRefusal::Locked
            } else {
                CodeRefusal::Wrong
            }
            .into());
        }
        self.store.code_used(&sub.id).await?;
        let identified_by = given.map_or("", |(_, by)| by);
        let person = Actor::new("person");
        (self.decide(token, (confirmed, reason), identified_by, person)).await
    }

    /// A registrar's record that the person of step `step` decided in person, with their
    /// documents checked (`who`: the registrar). The applicant who submitted cannot.
    pub async fn decide_in_person(
        &self,
        application: &ApplicationRecord,
        subs: &[SubRequestRecord],
        step: &str,
        decision: (bool, Option<&str>),
        who: &Actor,
    ) -> Result<(TokenTarget, Finish), ApplicationError> {
        let sub = (subs.iter())
            .find(|s| s.service_id == step && s.kind == crate::lifecycle::SubKind::Human)
            .ok_or_else(|| ApplicationError::NoSuchService(step.to_owned()))?;
        if application.submitted_by.as_deref() == Some(who.name.as_str()) {
            return Err(CodeRefusal::OwnApplication.into());
        }
        let token = sub.callback_token.as_deref().ok_or(CodeRefusal::Closed)?;
        let identified_by = format!("in person, documents checked by {}", who.name);
        (self.decide(token, decision, &identified_by, who.clone())).await
    }

    /// A new invitation to the person of step `step` of `application`: wrong codes and the
    /// lock start again.
    pub async fn invite_again(
        &self,
        application: &ApplicationRecord,
        subs: &[SubRequestRecord],
        step: &str,
    ) -> Result<(), ApplicationError> {
        let sub = (subs.iter())
            .find(|s| s.service_id == step && s.kind == crate::lifecycle::SubKind::Human)
            .ok_or_else(|| ApplicationError::NoSuchService(step.to_owned()))?;
        if sub.status != SubStatus::Awaiting {
            return Err(CodeRefusal::Closed.into());
        }
        self.store.reinvite(&sub.id).await?;
        self.invite(application, sub, false).await
    }

    /// Invite the person of each open step of a new application (best effort: a failure is
    /// logged, and the applicant can ask again).
    pub(super) async fn invite_all(&self, id: &crate::lifecycle::ApplicationId) {
        let loaded = self.load(id.as_str()).await;
        let Ok((application, subs)) = loaded else {
            return;
        };
        for sub in subs.iter().filter(|s| {
            s.status == SubStatus::Awaiting && s.kind == crate::lifecycle::SubKind::Human
        }) {
            if let Err(e) = self.invite(&application, sub, false).await {
                tracing::warn!(application.id = %id, error = %e, "Invitation not sent");
            }
        }
    }

    /// Remind the people whose steps end within a day (each step once, by one instance).
    pub async fn remind(&self) -> Result<usize, ApplicationError> {
        let now = now_ms();
        let due = self.store.due_reminders(now, now + 24 * 3_600_000).await?;
        let mut sent = 0;
        for (sub_id, application_id, ..) in due {
            let Ok((application, subs)) = self.load(&application_id).await else {
                continue;
            };
            if let Some(sub) = subs.iter().find(|s| s.id == sub_id)
                && self.invite(&application, sub, true).await.is_ok()
            {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Send the invitation (or its reminder) for `sub` to the person the bundle names.
    async fn invite(
        &self,
        application: &ApplicationRecord,
        sub: &SubRequestRecord,
        reminder: bool,
    ) -> Result<(), ApplicationError> {
        let (_, bundle) = (self.catalog).of(&application.bundle_id, application.bundle_version);
        let step = bundle.and_then(|b| b.human_steps.iter().find(|h| h.id == sub.service_id));
        let (Some(bundle), Some(step)) = (bundle, step) else {
            return Ok(());
        };
        let Some(person) = &step.person else {
            return Ok(());
        };
        let phone = person
            .phone_in(&application.data)
            .ok_or(CodeRefusal::NoPhone)?;
        let token = sub.callback_token.as_deref().unwrap_or_default();
        let text = invitation(
            self,
            bundle,
            step,
            person,
            application,
            token,
            sub.deadline,
            reminder,
        );
        self.notify(phone, text).await
    }

    async fn notify(&self, phone: &str, text: String) -> Result<(), ApplicationError> {
        let message = Message {
            to: Address::Phone(phone.to_owned()),
            text,
        };
        self.confirming.notifier.send(&message).await.map_err(|e| {
            tracing::warn!(error = %e, "Notification not sent");
            ApplicationError::from(CodeRefusal::NotSent)
        })
    }

    /// The step behind `token`, with its application and bundle definition.
    pub(super) async fn open_step(
        &self,
        token: &str,
    ) -> Result<(TokenTarget, ApplicationRecord, SubRequestRecord, &HumanStep), ApplicationError>
    {
        let target = self.human_step(token).await?;
        let (application, subs) = self.load(target.application_id.as_str()).await?;
        let sub =
            (subs.into_iter().find(|s| s.id == target.id)).ok_or(ApplicationError::UnknownLink)?;
        let step = (self
            .catalog
            .of(&application.bundle_id, application.bundle_version)
            .1)
            .and_then(|b| b.human_steps.iter().find(|h| h.id == target.service_id))
            .ok_or_else(|| ApplicationError::UnknownService(target.service_id.clone()))?;
        Ok((target, application, sub, step))
    }

    /// The HMAC of a code, bound to its step.
    pub(super) fn code_hmac(&self, sub_request: &str, code: &str) -> String {
        let key = self.confirming.code_key.as_bytes();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key");
        mac.update(sub_request.as_bytes());
        mac.update(b":");
        mac.update(code.as_bytes());
        crate::access::secret::hex(&mac.finalize().into_bytes())
    }
}

/// What a person hands in with their decision: a six-digit code from the SMS, or the proof of
/// a sign-in through the identity provider; what its HMAC is taken over, and how it identifies.
fn presented(given: &str) -> Option<(String, &'static str)> {
    if given.len() == 6 && given.bytes().all(|b| b.is_ascii_digit()) {
        Some((given.to_owned(), "a one-time code sent to their phone"))
    } else if identify::is_proof(given) {
        Some((identify::proof_text(given), identify::BY_OIDC))
    } else {
        None
    }
}

/// «Олена Коваленко просить вас підтвердити: Згода власника житла. …»
#[allow(clippy::too_many_arguments)]
fn invitation(
    apps: &Applications,
    bundle: &crate::bundle::Bundle,
    step: &HumanStep,
    person: &Person,
    application: &ApplicationRecord,
    token: &str,
    deadline: Option<i64>,
    reminder: bool,
) -> String {
    let applicant = crate::receipt::render_data(&bundle.applicant, &application.data);
    let name = crate::receipt::render_data(&person.name, &application.data);
    let deadline = deadline.map(crate::receipt::kyiv_time).unwrap_or_default();
    let link = format!("{}/confirmations/{token}", apps.confirming.public_url);
    let first = if reminder {
        "Нагадування: "
    } else {
        ""
    };
    format!(
        "{first}{name}, {applicant} просить вас підтвердити: {} ({}). Відкрийте {link} до {deadline}; \
         код підтвердження надійде окремим SMS.",
        step.title.uk, bundle.title.uk
    )
}

/// A phone number with all but its last four digits hidden.
fn mask(phone: &str) -> String {
    let digits = phone.chars().count();
    phone
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i + 4 < digits && c.is_ascii_digit() && i > 3 {
                '•'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_phone_number_is_shown_with_its_middle_hidden() {
        assert_eq!(super::mask("+380501112233"), "+380•••••2233");
    }
}
