//! The production proof of who confirms a human step: the person signs in through the OpenID
//! provider (in Ukraine id.gov.ua: КЕП, Дія.Підпис, BankID), and the RNOKPP it vouches for must be
//! the one the application gives for them. A match earns a proof — 128 random bits, kept as an
//! HMAC in the step's code slot, valid ten minutes, used once — that the person's browser hands
//! in with their decision in place of an SMS code. A mismatch counts as a wrong code: the
//! applicant signing in as themselves, five times, locks the step as five wrong codes would.

use super::confirm::{CODE_VALID_MS, CodeRefusal, LOCK_AFTER};
use super::{ApplicationError, Applications};
use crate::access::secret::constant_time_eq;
use crate::lifecycle::SubStatus;
use crate::store::now_ms;

/// How a person identified by the OpenID provider is recorded on the step.
pub const BY_OIDC: &str = "signed in through the identity provider, RNOKPP matched";

impl Applications {
    /// Check the RNOKPP the identity provider vouches for against the person of the step behind
    /// `token`; on a match, a proof to decide with.
    pub async fn identify_by_rnokpp(
        &self,
        token: &str,
        rnokpp: &str,
    ) -> Result<String, ApplicationError> {
        let (target, application, sub, step) = self.open_step(token).await?;
        if sub.status != SubStatus::Awaiting {
            return Err(CodeRefusal::Closed.into());
        }
        let expected = (step.person.as_ref())
            .and_then(|p| application.data.pointer(&p.rnokpp))
            .and_then(serde_json::Value::as_str)
            .ok_or(CodeRefusal::Wrong)?;
        if self.store.code_state(&sub.id).await?.locked {
            return Err(CodeRefusal::Locked.into());
        }
        if !constant_time_eq(expected.as_bytes(), rnokpp.as_bytes()) {
            let locked = self.store.wrong_code(&sub.id, LOCK_AFTER).await?;
            tracing::warn!(application.id = %target.application_id, locked, "Identity provider's RNOKPP does not match the person");
            return Err(if locked {
                CodeRefusal::Locked
            } else {
                CodeRefusal::NotThePerson
            }
            .into());
        }
        let proof = crate::store::random_token();
        let hmac = self.code_hmac(&target.id, &proof_text(&proof));
        let now = now_ms();
        self.store
            .new_code(&sub.id, &hmac, now + CODE_VALID_MS, now)
            .await?;
        Ok(proof)
    }
}

impl Applications {
    /// Whether `proof` still proves the person of the step behind `token` (unused, in time).
    pub async fn proof_holds(&self, token: &str, proof: &str) -> bool {
        let Ok(target) = self.human_step(token).await else {
            return false;
        };
        let Ok(state) = self.store.code_state(&target.id).await else {
            return false;
        };
        let fresh = state.expires_at.is_some_and(|end| now_ms() < end);
        let mac = self.code_hmac(&target.id, &proof_text(proof));
        fresh
            && is_proof(proof)
            && (state.code_hmac)
                .is_some_and(|kept| constant_time_eq(kept.as_bytes(), mac.as_bytes()))
    }
}

/// Whether `given` has the shape of a proof (and not of a six-digit code).
pub fn is_proof(given: &str) -> bool {
    given.len() == 32
        && given
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What a proof's HMAC is taken over: apart from any six-digit code.
pub fn proof_text(proof: &str) -> String {
    format!("oidc:{proof}")
}
