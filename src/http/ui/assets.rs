//! The pages' stylesheet and script, embedded in the binary and served with a version in their
//! address, so that a new build is fetched at once and an unchanged one is cached.

use actix_web::HttpResponse;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const STYLE: &str = include_str!("../../../assets/ui/style.css");
const SCRIPT: &str = include_str!("../../../assets/ui/app.js");

static VERSION: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::new()
        .chain_update(STYLE)
        .chain_update(SCRIPT)
        .finalize();
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
});

/// A short digest of the assets, for their addresses (`/ui/style.css?v=…`).
pub fn version() -> &'static str {
    &VERSION
}

pub async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}

pub async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}
