//! Sign-in through an OpenID Connect provider (in Ukraine usually a Keycloak in front of
//! id.gov.ua): onestop is a relying party using the authorization code flow with PKCE, a nonce
//! and a state. The provider's user info says who the person is and, by configured claims, for
//! which institution and in which role they act. Its HTTP goes through reqwest with redirects
//! off (the token call must not be sent anywhere else). What is under way between the two legs
//! is kept in the database, so the browser may come back to any instance.

use crate::access::Role;
use crate::settings::OidcSettings;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

/// Who the provider says the person is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub login: String,
    pub institution: Option<String>,
    pub role: Role,
}

/// What the provider's user info says of the person signed in.
pub struct Claims(UserInfoClaims<Extra, CoreGenderClaim>);

/// Where to send the browser, and what to keep until it comes back.
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// Why the sign-in did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider could not be used: {0}")]
    Provider(String),
    #[error("the identity provider's answer is not valid: {0}")]
    Answer(String),
    #[error("the identity provider gives no {0} claim")]
    MissingClaim(String),
    #[error("unknown role \"{0}\"")]
    Role(String),
}

/// The claims of the user info besides the standard ones.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct Extra {
    #[serde(flatten)]
    claims: HashMap<String, serde_json::Value>,
}

impl AdditionalClaims for Extra {}

/// The relying party.
#[derive(Clone)]
pub struct Oidc {
    settings: OidcSettings,
    http: reqwest::Client,
    redirect: String,
}

impl Oidc {
    pub fn new(settings: OidcSettings, public_url: &str) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            settings,
            http,
            redirect: format!("{public_url}/sign-in/oidc/callback"),
        })
    }

    /// The provider's sign-in address for a new attempt, and what to keep for its answer.
    pub async fn start(&self) -> Result<Started, OidcError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self.settings.scopes.split_whitespace() {
            request = request.add_scope(Scope::new(scope.to_owned()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        })
    }

    /// Exchange the provider's code, check its ID token against `nonce`, and read the user info.
    pub async fn finish(
        &self,
        code: &str,
        nonce: &str,
        verifier: &str,
    ) -> Result<Claims, OidcError> {
        let client = self.client().await?;
        let http = self.http_client();
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&http)
            .await
            .map_err(|e| OidcError::Answer(e.to_string()))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| OidcError::Answer("no ID token".into()))?;
        let nonce = Nonce::new(nonce.to_owned());
        let claims = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .map_err(|e| OidcError::Answer(e.to_string()))?;
        let subject = claims.subject().clone();
        let access = AccessToken::new(token.access_token().secret().clone());
        let info: UserInfoClaims<Extra, CoreGenderClaim> = client
            .user_info(access, Some(subject))
            .map_err(|e| OidcError::Provider(e.to_string()))?
            .request_async(&http)
            .await
            .map_err(|e| OidcError::Answer(e.to_string()))?;
        Ok(Claims(info))
    }

    /// Who a staff member signed in is: login, institution and role.
    pub fn staff(&self, claims: &Claims) -> Result<Identity, OidcError> {
        let info = &claims.0;
        let extra = &info.additional_claims().claims;
        let text = |name: &str| extra.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        let login = text(&self.settings.login_claim)
            .or_else(|| info.preferred_username().map(|u| u.as_str().to_owned()))
            .ok_or_else(|| OidcError::MissingClaim(self.settings.login_claim.clone()))?;
        let role_name = text(&self.settings.role_claim)
            .ok_or_else(|| OidcError::MissingClaim(self.settings.role_claim.clone()))?;
        let role = Role::parse(&role_name).ok_or(OidcError::Role(role_name))?;
        Ok(Identity {
            login,
            institution: text(&self.settings.institution_claim),
            role,
        })
    }

    /// The RNOKPP of a person signed in (to prove they are the person who must confirm).
    pub fn rnokpp(&self, claims: &Claims) -> Result<String, OidcError> {
        let name = &self.settings.rnokpp_claim;
        let extra = &claims.0.additional_claims().claims;
        let value = extra.get(name).and_then(|v| match v {
            serde_json::Value::String(text) => Some(text.trim().to_owned()),
            serde_json::Value::Number(number) => Some(number.to_string()),
            _ => None,
        });
        value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| OidcError::MissingClaim(name.clone()))
    }

    /// The client, from the provider's discovery document (read at each sign-in: they are rare,
    /// and the provider may change its keys).
    async fn client(
        &self,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http_client())
            .await
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        let redirect = RedirectUrl::new(self.redirect.clone())
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// openidconnect's HTTP requests, sent with reqwest (redirects off).
    fn http_client(
        &self,
    ) -> impl Fn(
        openidconnect::HttpRequest,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<openidconnect::HttpResponse, reqwest::Error>>
                + Send,
        >,
    > {
        let http = self.http.clone();
        move |request: openidconnect::HttpRequest| {
            let http = http.clone();
            Box::pin(async move {
                let request = reqwest::Request::try_from(request)?;
                let response = http.execute(request).await?;
                let mut answer = http::Response::builder().status(response.status());
                for (name, value) in response.headers() {
                    answer = answer.header(name, value);
                }
                let body = response.bytes().await?.to_vec();
                Ok(answer.body(body).unwrap_or_default())
            })
        }
    }
}
