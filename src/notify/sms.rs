//! An SMS gateway reached over HTTP: `POST {url}` with `{"to": "+380…", "text": "…"}` and,
//! when configured, `Authorization: Bearer <token>`; any 2xx is taken as accepted. The
//! sandbox's gateway (`/_sandbox/sms`) speaks the same.

use super::{Address, Channel, Message, NotifyError, Sending};
use serde_json::json;
use std::time::Duration;

pub struct SmsGateway {
    url: String,
    token: Option<String>,
    client: reqwest::Client,
}

impl SmsGateway {
    pub fn new(url: &str, token: Option<String>) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            url: url.to_owned(),
            token,
            client,
        })
    }
}

impl Channel for SmsGateway {
    fn name(&self) -> &'static str {
        "sms"
    }

    fn takes(&self, to: &Address) -> bool {
        matches!(to, Address::Phone(_))
    }

    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a> {
        Box::pin(async move {
            let Address::Phone(phone) = &message.to;
            let mut request =
                (self.client.post(&self.url)).json(&json!({ "to": phone, "text": message.text }));
            if let Some(token) = &self.token {
                request = request.bearer_auth(token);
            }
            let response = request
                .send()
                .await
                .map_err(|source| NotifyError::Unreachable {
                    channel: "sms",
                    source: source.without_url(),
                })?;
            let status = response.status();
            if !status.is_success() {
                return Err(NotifyError::Refused {
                    channel: "sms",
                    status: status.as_u16(),
                });
            }
            Ok(())
        })
    }
}
