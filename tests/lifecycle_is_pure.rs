//! The lifecycle module stays pure: no database, runtime, web framework or HTTP client, and no
//! other module of onestop that does I/O (issue: "one home for the sub-request lifecycle").

use std::path::Path;

#[test]
fn the_lifecycle_module_uses_no_database_runtime_web_or_http_crate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lifecycle");
    let forbidden = [
        "sqlx",
        "tokio",
        "actix",
        "reqwest",
        "crate::store",
        "crate::fanout",
        "crate::http",
        "crate::registry",
        "crate::sandbox",
        "std::fs",
        "std::net",
        "SystemTime",
        "Timestamp::now",
    ];
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("src/lifecycle exists") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        files += 1;
        for word in forbidden {
            assert!(!text.contains(word), "{} mentions {word}", path.display());
        }
    }
    assert!(files >= 5, "the lifecycle's files were found ({files})");
}
