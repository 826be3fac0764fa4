//! Sending one call: its request built from the application's data and the outputs it is bound
//! to, written by its registry's adapter in that registry's protocol.

use super::Dispatcher;
use crate::bundle::{Bundle, Service, Step};
use crate::fanout::{PrepareError, build_request};
use crate::registry::{Adapter, Answered, Call};
use crate::store::{CallContext, Claim};
use std::time::Duration;

impl Dispatcher {
    /// Build a claim's request and send it by its registry's `adapter`.
    pub(super) async fn send(
        &self,
        adapter: &dyn Adapter,
        claim: &Claim,
        context: &CallContext,
        (service, step, bundle): (&Service, &Step, &Bundle),
        timeout: Duration,
    ) -> Result<Answered, PrepareError> {
        let (data, siblings) = (&context.data, &context.siblings);
        let request = build_request(service, step, claim.item, data, siblings)?;
        let callback =
            (claim.callback_token.as_ref()).map(|t| format!("{}/{t}", self.settings.callback_base));
        let call = Call {
            service,
            request: &request,
            idempotency_key: &claim.idempotency_key,
            callback_url: callback.as_deref(),
            application: claim.application_id.as_str(),
            user: context.acting(),
            purposes: &bundle.purposes,
            timeout,
        };
        Ok(adapter.call(call).await)
    }
}
