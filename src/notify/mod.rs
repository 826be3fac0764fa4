//! Notifications to people: an invitation to confirm a step, its reminder, a one-time code.
//! A [`Channel`] delivers a message to one kind of address; the SMS gateway (an HTTP service,
//! `notifications.sms.*`) is the first. An e-mail or Diia push channel follows the same shape:
//! a type that says which addresses it takes and sends one message.
//!
//! Messages carry personal data (a name, a phone number, a code): none of it goes to the log.

mod sms;

pub use sms::SmsGateway;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A mobile number, `+380…`.
    Phone(String),
}

/// One message to one person.
#[derive(Debug, Clone)]
pub struct Message {
    pub to: Address,
    pub text: String,
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("no notification channel takes this kind of address")]
    NoChannel,
    #[error("the {channel} channel could not be reached")]
    Unreachable {
        channel: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("the {channel} channel refused the message ({status})")]
    Refused { channel: &'static str, status: u16 },
}

/// What a channel's `send` returns.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), NotifyError>> + Send + 'a>>;

/// A way of reaching people.
pub trait Channel: Send + Sync {
    /// Its name in errors and settings (`sms`).
    fn name(&self) -> &'static str;
    /// Whether it delivers to `to`.
    fn takes(&self, to: &Address) -> bool;
    /// Deliver one message.
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a>;
}

/// Every configured channel; a message goes through the first that takes its address.
#[derive(Clone, Default)]
pub struct Notifier {
    channels: Vec<Arc<dyn Channel>>,
}

impl Notifier {
    pub fn new(channels: Vec<Arc<dyn Channel>>) -> Self {
        Self { channels }
    }

    /// Whether some channel takes `to`.
    pub fn reaches(&self, to: &Address) -> bool {
        self.channels.iter().any(|c| c.takes(to))
    }

    pub async fn send(&self, message: &Message) -> Result<(), NotifyError> {
        let channel =
            (self.channels.iter().find(|c| c.takes(&message.to))).ok_or(NotifyError::NoChannel)?;
        channel.send(message).await
    }
}
