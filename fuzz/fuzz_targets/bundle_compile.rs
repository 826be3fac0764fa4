//! Bundle compilation from arbitrary text, through the code `onestop check` and `serve` use: the
//! input is a bundle definition (YAML), a service definition (YAML) and a form (JSON Schema),
//! split by NUL bytes, compiled as `bundles/fuzz.yaml`, `services/fuzz.yaml` and
//! `forms/fuzz.schema.json` together with the repository's services, forms and receipt texts
//! (read once per process). Its bundles are left out: the fuzzer's bundle stands in for them,
//! and compiling the shipped ones again on every input would only slow it down.
//!
//! Any input must compile or be refused with diagnostics, never panic or hang.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The repository's services, forms and receipt texts, by path relative to its root.
static SHIPPED: LazyLock<BTreeMap<String, String>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = BTreeMap::new();
    for folder in ["services", "forms", "receipts"] {
        let mut found = Vec::new();
        files_in(&root.join(folder), &mut found);
        for path in found {
            let text = std::fs::read_to_string(&path).expect("a shipped definition reads");
            let relative = path.strip_prefix(&root).expect("under the root");
            files.insert(relative.to_string_lossy().replace('\\', "/"), text);
        }
    }
    files
});

/// Where each part of the input goes.
const PARTS: [&str; 3] = [
    "bundles/fuzz.yaml",
    "services/fuzz.yaml",
    "forms/fuzz.schema.json",
];

fuzz_target!(|bytes: &[u8]| {
    let mut files = SHIPPED.clone();
    for (path, part) in PARTS.iter().zip(bytes.split(|&b| b == 0)) {
        files.insert(
            (*path).to_owned(),
            String::from_utf8_lossy(part).into_owned(),
        );
    }
    match onestop::bundle::compile_sources(&files) {
        Ok(catalog) => {
            // Compilation checked that every bundle's form of all its services builds: what a
            // submission choosing every service asks for.
            for bundle in catalog.bundles.values() {
                let all: Vec<String> = bundle.steps.iter().map(|s| s.service.to_string()).collect();
                let selection = bundle.select(Some(&all)).expect("its own services");
                if let Err(e) = bundle.form(&catalog, &selection) {
                    panic!(
                        "bundle {} compiled but its form does not build: {e}",
                        bundle.id
                    );
                }
            }
        }
        Err(diagnostics) => {
            assert!(!diagnostics.errors.is_empty(), "refused without a reason");
            // As `onestop check` prints them.
            let _ = diagnostics.errors.iter().map(ToString::to_string).count();
        }
    }
});

/// Every file under `dir`, its subfolders included.
fn files_in(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("a shipped folder");
    for path in entries.map(|e| e.expect("an entry").path()) {
        if path.is_dir() {
            files_in(&path, out);
        } else {
            out.push(path);
        }
    }
}
