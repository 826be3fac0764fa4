//! A submission's body through the intake path of `POST /api/v1/bundles/{bundle}/applications`:
//! the JSON parse of the body extractor, the handler's split of the envelope, validation against
//! the bundle's combined form of the chosen services, and the plan of its calls — the functions
//! the handler calls, not copies. The first byte chooses the bundle; the rest is the body.
//!
//! Bad input must come back as a 4xx error of the API's shape, never a panic or a 5xx; a valid
//! one must plan calls that wait only for calls of the same plan.

#![no_main]

use actix_web::ResponseError;
use libfuzzer_sys::fuzz_target;
use onestop::applications::{Intake, findable, intake};
use onestop::bundle::Catalog;
use onestop::http::{ApiError, envelope};
use serde_json::Value;
use std::path::Path;
use std::sync::LazyLock;

/// The repository's definitions, compiled once per process as `serve` compiles them.
static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    onestop::bundle::compile(&root).expect("the shipped definitions compile")
});

/// The bundles' ids in the catalog's order, the first byte's choice.
static BUNDLES: LazyLock<Vec<String>> =
    LazyLock::new(|| CATALOG.bundles.keys().map(|id| id.to_string()).collect());

/// The key the duplicate rules' digests are made with (any key does here).
static DIGESTS: LazyLock<onestop::audit::Digests> =
    LazyLock::new(|| onestop::audit::Digests::new("fuzz"));

fuzz_target!(|bytes: &[u8]| {
    let Some((&first, body)) = bytes.split_first() else {
        return;
    };
    let bundle = &BUNDLES[usize::from(first) % BUNDLES.len()];
    if let Err(refused) = submit(bundle, body) {
        let status = refused.status_code();
        assert!(
            status.is_client_error(),
            "bad input answered {status}: {refused:?}"
        );
        // The body the API would send, built as it is built.
        let _ = refused.error_response();
    }
});

/// What the handler does with `body` for `bundle`, up to storing it.
fn submit(bundle: &str, body: &[u8]) -> Result<(), ApiError> {
    // As actix-web's `web::Json<Value>` extractor reads it (a body that is not JSON is its 400,
    // made by `json_error` before the handler runs).
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    let envelope = envelope(body)?;
    let chosen = envelope.services.as_deref();
    let planned = intake(&CATALOG, bundle, envelope.data, chosen)?;
    check_plan(&planned);
    // The staged plan `onestop explain` shows, from the same data.
    let valid = &planned.valid;
    let staged = onestop::fanout::plan(planned.bundle, valid.services(), valid.data());
    let staged: usize = staged.stages.iter().map(Vec::len).sum();
    assert_eq!(
        staged,
        planned.applicable.run.len(),
        "explain and intake disagree"
    );
    let _ = findable(&DIGESTS, Some(planned.bundle), "fuzz", planned.valid.data());
    Ok(())
}

/// A plan stores at least one call, and every call waits only for calls of the same plan.
fn check_plan(planned: &Intake) {
    assert!(!planned.calls.is_empty(), "an accepted plan with no calls");
    for call in &planned.calls {
        for key in &call.depends_on {
            let known = (planned.calls.iter()).any(|c| key.is(&c.service, c.item));
            assert!(
                known,
                "{} waits for {key:?}, which is not planned",
                call.service
            );
        }
    }
}
