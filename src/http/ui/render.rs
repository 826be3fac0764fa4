//! Turning a page's data into an HTML response: the embedded handlebars templates (HTML-escaped
//! by handlebars everywhere; only the layout inserts the already rendered body unescaped), the
//! shared layout with its language switch, the headers every page carries (a strict Content
//! Security Policy, no caching of pages with personal data), and the error page. It decides
//! nothing about what a page shows.

use crate::lang::Lang;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use handlebars::Handlebars;
use serde_json::{Value, json};
use std::sync::LazyLock;

pub(super) const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../../../templates/ui/layout.hbs")),
    ("start", include_str!("../../../templates/ui/start.hbs")),
    (
        "services",
        include_str!("../../../templates/ui/services.hbs"),
    ),
    ("form", include_str!("../../../templates/ui/form.hbs")),
    ("field", include_str!("../../../templates/ui/field.hbs")),
    (
        "required",
        include_str!("../../../templates/ui/required.hbs"),
    ),
    (
        "application",
        include_str!("../../../templates/ui/application.hbs"),
    ),
    ("live", include_str!("../../../templates/ui/live.hbs")),
    (
        "staff_applications",
        include_str!("../../../templates/ui/staff_applications.hbs"),
    ),
    (
        "staff_application",
        include_str!("../../../templates/ui/staff_application.hbs"),
    ),
    (
        "staff_correct",
        include_str!("../../../templates/ui/staff_correct.hbs"),
    ),
    (
        "staff_registries",
        include_str!("../../../templates/ui/staff_registries.hbs"),
    ),
    ("problem", include_str!("../../../templates/ui/problem.hbs")),
    ("confirm", include_str!("../../../templates/ui/confirm.hbs")),
    ("sign_in", include_str!("../../../templates/ui/sign_in.hbs")),
    (
        "password",
        include_str!("../../../templates/ui/password.hbs"),
    ),
    (
        "staff_audit",
        include_str!("../../../templates/ui/staff_audit.hbs"),
    ),
];

static PAGES: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut hb = Handlebars::new();
    for (name, template) in TEMPLATES {
        if let Err(e) = hb.register_template_string(name, template) {
            tracing::error!(error = %e, template = name, "Built-in page template does not compile");
        }
    }
    hb
});

/// Where the language switch leads: a link (`href`), or, on a page holding a form, a button of
/// that form (`form`), so that the typed data goes along.
pub enum Switch {
    Link(String),
    Form(&'static str),
}

/// One page: its template, its title, its data; the layout adds the rest.
pub struct Page<'a> {
    pub template: &'a str,
    pub title: String,
    pub lang: Lang,
    pub switch: Switch,
    pub data: Value,
}

impl Page<'_> {
    /// The whole HTML document.
    pub fn render(self) -> Result<String, Problem> {
        let mut data = self.data;
        if let Value::Object(map) = &mut data {
            map.insert("lang".into(), json!(self.lang.code()));
            map.insert("t".into(), super::i18n::words(self.lang));
        }
        let body = fragment(self.template, &data)?;
        let other = self.lang.other();
        let (href, form) = match self.switch {
            Switch::Link(href) => (Some(href), None),
            Switch::Form(form) => (None, Some(form)),
        };
        let layout = json!({
            "lang": self.lang.code(),
            "t": data["t"],
            "title": self.title,
            "body": body,
            "has_errors": data["errors"].as_array().is_some_and(|e| !e.is_empty()),
            "switch": { "code": other.code(), "href": href, "form": form,
                        "uk": self.lang == Lang::Uk, "en": self.lang == Lang::En },
            "default_form": form,
            "assets": super::assets::version(),
        });
        fragment("layout", &layout)
    }
}

/// One template rendered alone (the application page's live part is fetched this way).
pub fn fragment(template: &str, data: &Value) -> Result<String, Problem> {
    PAGES.render(template, data).map_err(|e| {
        tracing::error!(error = %e, template, "Page did not render");
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, Lang::Uk, "internal")
    })
}

/// An HTML response with the headers every page carries.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ))
        .body(body)
}

/// A page that could not be shown, as an HTML error page in the visitor's language.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    lang: Lang,
    /// What went wrong, in the page's language.
    message: String,
}

impl Problem {
    /// A problem said in one of the pages' words (`key`).
    pub fn new(status: StatusCode, lang: Lang, key: &str) -> Self {
        Self::said(status, lang, lang.text(key))
    }

    /// A problem said in words of its own, already in the page's language.
    pub fn said(status: StatusCode, lang: Lang, message: String) -> Self {
        Self {
            status,
            lang,
            message,
        }
    }

    /// The API's error as a page: its status, and its message when it is meant for people.
    pub fn from_api(error: super::super::ApiError, lang: Lang) -> Self {
        use super::super::ApiError as E;
        let status = error.status_code();
        match error {
            E::NotFound(_) => Self::new(status, lang, "not_found"),
            E::Internal(e) => {
                tracing::error!(error = ?e, "Page failed");
                Self::new(status, lang, "internal")
            }
            E::Invalid(errors) => {
                let text: Vec<String> = errors.iter().map(|e| e.message.text(lang)).collect();
                Self::said(status, lang, text.join("; "))
            }
            other => Self::said(status, lang, other.to_string()),
        }
    }
}

impl Problem {
    /// What went wrong, as a notice on the page (without the status).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let page = Page {
            template: "problem",
            title: self.lang.text("problem_title"),
            lang: self.lang,
            switch: Switch::Link(format!("/?lang={}", self.lang.other().code())),
            data: json!({ "message": self.message }),
        };
        match page.render() {
            Ok(body) => html(self.status, body),
            Err(_) => HttpResponse::build(self.status)
                .content_type("text/plain; charset=utf-8")
                .body(self.message.clone()),
        }
    }
}

#[cfg(test)]
mod template_tests {
    #[test]
    fn every_built_in_page_template_compiles() {
        for (name, template) in super::TEMPLATES {
            let mut hb = handlebars::Handlebars::new();
            if let Err(e) = hb.register_template_string(name, template) {
                panic!("{name}: {e}");
            }
        }
    }
}
