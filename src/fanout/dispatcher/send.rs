//! Sending one call: its request built from the application's data and the outputs it is bound
//! to, written by its registry's adapter in that registry's protocol.

use super::Dispatcher;
use crate::bundle::trembita::TrembitaService;
use crate::bundle::{Bundle, Service, Step};
use crate::fanout::{PrepareError, build_request};
use crate::registry::{Adapter, Answered, Call, Poll};
use crate::store::{CallContext, Claim};
use std::time::Duration;

impl Dispatcher {
    /// Where `service` lives on Trembita: as the application's version of the definitions says,
    /// else as the current one does. Where a registry lives is the deployment's fact, not the
    /// application's: an application submitted before its registry moved to Trembita is sent
    /// there as well.
    fn trembita<'a>(&'a self, service: &'a Service) -> Option<&'a TrembitaService> {
        let current = || self.catalog.service(&service.id)?.trembita.as_ref();
        service.trembita.as_ref().or_else(current)
    }

    /// The claim's exchange with its registry, by the registry's adapter: the call, or the
    /// poll of a call the registry accepted.
    pub(super) async fn exchange(
        &self,
        claim: &Claim,
        context: &CallContext,
        (service, step, bundle): (&Service, &Step, &Bundle),
        timeout: Duration,
    ) -> Result<Answered, PrepareError> {
        let adapter = self.adapters.of(&service.registry);
        match &claim.poll_url {
            Some(url) => Ok(adapter.poll(self.asking(service, url, timeout)).await),
            None => {
                let what = (service, step, bundle);
                self.send(adapter, claim, context, what, timeout).await
            }
        }
    }

    /// Asking for the result of a call to `service` at `url`.
    fn asking<'a>(&'a self, service: &'a Service, url: &'a str, timeout: Duration) -> Poll<'a> {
        Poll {
            service,
            url,
            timeout,
            trembita: self.trembita(service),
        }
    }

    /// Build a claim's request and send it by its registry's `adapter`.
    async fn send(
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
            trembita: self.trembita(service),
            request_id: context.request_id.as_deref(),
        };
        Ok(adapter.call(call).await)
    }
}
