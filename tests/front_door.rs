//! The front door stays as the README promises: its first command runs the product, it stays
//! short, and every document it or `docs/` links to exists.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn cargo_run_runs_the_product_not_the_bench() {
    let manifest = read(&root().join("Cargo.toml"));
    assert!(
        manifest.contains("default-run = \"onestop\""),
        "`cargo run --release -- serve` (the README's first command) needs default-run"
    );
    assert!(read(&root().join("README.md")).contains("cargo run --release -- serve"));
}

#[test]
fn the_readme_is_one_short_front_door() {
    let lines = read(&root().join("README.md")).lines().count();
    assert!(lines <= 250, "README.md has {lines} lines");
}

#[test]
fn every_document_the_readme_and_docs_link_to_exists() {
    let mut pages = vec![root().join("README.md")];
    for entry in std::fs::read_dir(root().join("docs")).expect("docs/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    let mut missing = Vec::new();
    for page in &pages {
        let text = read(page);
        // Markdown links: `](target)` or `](target#anchor)`, relative to the page.
        for part in text.split("](").skip(1) {
            let target = part.split([')', '#', ' ']).next().unwrap_or_default();
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let base = page.parent().unwrap_or(Path::new("."));
            if !base.join(target).exists() {
                missing.push(format!("{} -> {target}", page.display()));
            }
        }
    }
    assert!(missing.is_empty(), "links to nothing: {missing:#?}");
    assert!(pages.len() > 3, "docs/ was read ({} pages)", pages.len());
}
