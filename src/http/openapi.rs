//! The API's contract: the OpenAPI 3.1 document of `/api/v1`, derived from the handlers'
//! `#[utoipa::path]`s and the types they serialise, its paths taken from the routes as
//! [`super::api`] registers them (never a hand-written list). Served, public and read-only, at
//! `GET /api/v1/openapi.json`, with Swagger UI at `/api/docs/` (its files are in the binary:
//! nothing is fetched, at build or at run time). It describes the API and holds no data.
//!
//! What the handlers cannot say of themselves is added here, from how the scope works: the
//! bearer scheme, the bundles of the catalog as the `{bundle}` parameter's values, the example
//! birth submission, and the errors every operation of a kind can meet (a malformed body,
//! a non-JSON `POST`, a bad token, a failure inside).

use super::bodies::ErrorBody;
use crate::bundle::Catalog;
use actix_web::{HttpResponse, get, web};
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, ResponseBuilder, Schema};
use utoipa_actix_web::OpenApiFactory;

/// Where the document is served, and where Swagger UI reads it.
pub const DOCUMENT_URL: &str = "/api/v1/openapi.json";

/// The example birth submission (twins are `birth-twins.json`).
const BIRTH_EXAMPLE: &str = include_str!("../../bundles/examples/birth.json");

#[derive(OpenApi)]
#[openapi(
    info(
        title = "onestop API",
        description = "Одна заява — кілька реєстрів — одна квитанція. Composite life-event \
            services: a submission is validated against its bundle's combined form (JSON Schema \
            2020-12, `GET /api/v1/bundles/{bundle}/form`) and fanned out to the registries. \
            Every error has one shape (`ErrorBody`). See docs/api.md.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "session", description = "Signing in: a bearer token for the API"),
        (name = "staff", description = "Managing staff accounts"),
        (name = "bundles", description = "Life events and their combined forms"),
        (name = "applications", description = "Submitting, reading and correcting applications"),
        (name = "steps", description = "A person's steps: invitations, decisions, reopening"),
        (name = "audit", description = "The audit trail"),
        (name = "kit", description = "The mobile CNAP kit: what a device keeps for a shift"),
        (name = "outside", description = "Answers from outside: registries' callbacks, people's confirmations"),
        (name = "contract", description = "This document"),
    ),
)]
struct Base;

/// The document: the base above, the paths and schemas of the registered routes, and what
/// the scope adds to them.
pub fn document(catalog: &Catalog) -> Document {
    let api = super::api();
    let mut doc = Base::openapi();
    doc.paths.merge(api.paths());
    let mut schemas = Vec::new();
    api.schemas(&mut schemas);
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.extend(schemas);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A session token from POST /api/v1/session, a machine client's token, or a \
                     citizen's access secret (osc_…). The API reads this header only, never a cookie.",
                ))
                .build(),
        ),
    );
    let bundles: Vec<String> = catalog.bundles.keys().map(ToString::to_string).collect();
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, operation) in operations(item) {
            if path.contains("{bundle}") {
                name_the_bundles(operation, &bundles);
            }
            add_common_errors(operation, method);
        }
    }
    add_birth_example(&mut doc);
    doc
}

/// The document as served, built once at start.
pub fn json(catalog: &Catalog) -> web::Bytes {
    let doc = document(catalog);
    // The document is made of plain values: it always serialises.
    web::Bytes::from(serde_json::to_vec(&doc).unwrap_or_default())
}

/// The OpenAPI 3.1 document of this API: public (it describes the API, it holds no data).
#[utoipa::path(
    tag = "contract",
    operation_id = "openApiDocument",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)),
)]
#[get("/openapi.json")]
pub async fn serve(state: web::Data<super::AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.contract.clone())
}

/// Swagger UI at `/api/docs/`, reading [`DOCUMENT_URL`]; its files are in the binary.
pub fn swagger_ui(cfg: &mut web::ServiceConfig) {
    let config = utoipa_swagger_ui::Config::new([DOCUMENT_URL]).try_it_out_enabled(true);
    cfg.service(utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}").config(config))
        .route(
            "/api/docs",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header(("Location", "/api/docs/"))
                    .finish()
            }),
        );
}

/// The operations of a path, with their methods.
fn operations(item: &mut utoipa::openapi::PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("put", item.put.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.map(|op| (method, op)))
    .collect()
}

/// The `{bundle}` parameter takes the ids of the catalog's bundles (known at start).
fn name_the_bundles(operation: &mut Operation, bundles: &[String]) {
    let parameters = operation.parameters.iter_mut().flatten();
    let named = parameters.filter_map(|p| match p {
        RefOr::T(parameter) if parameter.name == "bundle" => Some(parameter),
        _ => None,
    });
    for parameter in named {
        let schema = utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .enum_values(Some(bundles.to_vec()))
            .build();
        parameter.schema = Some(RefOr::T(Schema::Object(schema)));
    }
}

/// The errors an operation meets for how the scope reads requests, whatever the handler:
/// 400 a body or query that cannot be read, 413 too large, 415 a `POST` that is not JSON,
/// 401 a bearer token that is not valid, 500 a failure inside (its cause goes to the log).
fn add_common_errors(operation: &mut Operation, method: &str) {
    let mut add = |status: &str, description: &str| {
        let responses = &mut operation.responses.responses;
        if !responses.contains_key(status) {
            responses.insert(status.to_owned(), RefOr::T(error(description)));
        }
    };
    let has_query = (operation.parameters.iter().flatten()).any(|p| {
        matches!(
            p,
            RefOr::T(Parameter {
                parameter_in: ParameterIn::Query,
                ..
            })
        )
    });
    if operation.request_body.is_some() || has_query {
        add("400", "The body or the query cannot be read");
    }
    if operation.request_body.is_some() {
        add("413", "The body is too large");
    }
    if method == "post" {
        add("415", "A body that is not application/json");
    }
    let bearer_scheme = SecurityRequirement::new("bearer", Vec::<String>::new());
    let bearer = (operation.security.iter().flatten()).any(|s| *s == bearer_scheme);
    if bearer {
        add("401", "The token is malformed, unknown, expired or revoked");
    }
    add(
        "500",
        "A failure inside; the body says nothing of its cause",
    );
}

/// A response with the usual error body.
fn error(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody")))),
        )
        .build()
}

/// The birth submission of `bundles/examples/` as the example of a submission's body.
fn add_birth_example(doc: &mut Document) {
    let submit = doc
        .paths
        .paths
        .get_mut("/api/v1/bundles/{bundle}/applications")
        .and_then(|item| item.post.as_mut());
    let body = submit.and_then(|op| op.request_body.as_mut());
    let content = body.and_then(|b| match b {
        RefOr::T(body) => body.content.get_mut("application/json"),
        RefOr::Ref(_) => None,
    });
    if let (Some(RefOr::T(content)), Ok(example)) = (content, serde_json::from_str(BIRTH_EXAMPLE)) {
        let example = utoipa::openapi::example::ExampleBuilder::new()
            .summary("A birth (bundle `birth`), with the optional services chosen")
            .value(Some(example))
            .build();
        content.examples.insert("birth".into(), RefOr::T(example));
    }
}
