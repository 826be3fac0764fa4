//! A bundle version's definitions kept whole, so that an application runs to its end — calls,
//! retries, corrections, receipt, pages — under the definitions it was submitted with.
//!
//! A snapshot is the text of every file a bundle was compiled from: its own file, its receipt
//! texts, its services' files and the forms they reach through `$ref`, with the hash of them
//! all. The store keeps each version's snapshot on first use; a server compiles the earlier
//! versions from their snapshots; `check` compares the hashes with `bundles/versions.lock` and
//! refuses a bundle whose files changed while its `version` did not. This module reads the
//! definition files and compiles a snapshot from memory; it stores nothing.

use super::{Bundle, BundleId, Catalog, Diagnostic, Diagnostics};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Component, Path};

/// The files of one bundle version, by path relative to the definitions' root, and their hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub bundle: BundleId,
    pub version: u32,
    /// `sha256:` and the hex digest of every path and text, in path order.
    pub hash: String,
    pub files: BTreeMap<String, String>,
}

impl Snapshot {
    /// The snapshot of `bundle` as the files under `root` are now.
    pub fn of(root: &Path, catalog: &Catalog, bundle: &Bundle) -> std::io::Result<Self> {
        let mut files = BTreeMap::new();
        let mut read = |relative: &str| -> std::io::Result<()> {
            files.insert(
                relative.to_owned(),
                std::fs::read_to_string(root.join(relative))?,
            );
            Ok(())
        };
        for file in &bundle.files {
            read(file)?;
        }
        let mut forms = Vec::new();
        for step in &bundle.steps {
            if let Some(service) = catalog.service(&step.service) {
                read(&service.file)?;
                forms.push(format!("forms/{}", service.form));
            }
        }
        while let Some(form) = forms.pop() {
            if files.contains_key(&form) {
                continue;
            }
            let text = std::fs::read_to_string(root.join(&form))?;
            if let Ok(schema) = serde_json::from_str::<Value>(&text) {
                forms.extend(references(&schema, &form));
            }
            files.insert(form, text);
        }
        Ok(Self::new(bundle.id.clone(), bundle.version, files))
    }

    /// A snapshot of these files, its hash worked out.
    pub fn new(bundle: BundleId, version: u32, files: BTreeMap<String, String>) -> Self {
        let mut hasher = Sha256::new();
        for (path, text) in &files {
            hasher.update(path.as_bytes());
            hasher.update([0]);
            hasher.update(text.as_bytes());
            hasher.update([0]);
        }
        let hash = format!("sha256:{}", crate::access::secret::hex(&hasher.finalize()));
        Self {
            bundle,
            version,
            hash,
            files,
        }
    }

    /// Compile the snapshot's files on their own, from memory: a catalog of this one bundle
    /// version.
    pub fn compile(&self) -> Result<Catalog, Diagnostics> {
        super::compile_sources(&self.files)
    }
}

/// The form files a form refers to (`$ref`s to other files, fragments dropped), as paths
/// relative to the definitions' root.
fn references(schema: &Value, form: &str) -> Vec<String> {
    let mut found = Vec::new();
    collect(schema, &mut found);
    let dir = Path::new(form).parent().unwrap_or(Path::new(""));
    found
        .into_iter()
        .filter_map(|r| {
            let file = r.split('#').next().unwrap_or_default();
            // A form may name another by its absolute address in the offline registry.
            if let Some(form) = file.strip_prefix(crate::form::Schemas::BASE) {
                return Some(normal(&Path::new("forms").join(form)));
            }
            (!file.is_empty() && !file.contains("://")).then(|| normal(&dir.join(file)))
        })
        .collect()
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

/// `forms/a/../b.json` as `forms/b.json`.
fn normal(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

/// `bundles/versions.lock`: each bundle version `check` has seen, with its files' hash, one
/// `bundle version hash` line each.
pub struct Lock {
    entries: BTreeMap<(String, u32), String>,
}

/// Where the lock lives under the definitions' root.
pub const LOCK_FILE: &str = "bundles/versions.lock";

impl Lock {
    /// The lock under `root`; empty when there is none.
    pub fn read(root: &Path) -> Self {
        let text = std::fs::read_to_string(root.join(LOCK_FILE)).unwrap_or_default();
        let entries = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|line| {
                let mut parts = line.split_whitespace();
                let bundle = parts.next()?.to_owned();
                let version = parts.next()?.parse().ok()?;
                Some(((bundle, version), parts.next()?.to_owned()))
            })
            .collect();
        Self { entries }
    }

    /// The hash recorded for a bundle version, if any.
    pub fn hash(&self, bundle: &str, version: u32) -> Option<&str> {
        self.entries
            .get(&(bundle.to_owned(), version))
            .map(String::as_str)
    }

    /// Record a version not yet recorded (a recorded one is never rewritten).
    pub fn record(&mut self, snapshot: &Snapshot) {
        self.entries
            .entry((snapshot.bundle.to_string(), snapshot.version))
            .or_insert_with(|| snapshot.hash.clone());
    }

    pub fn write(&self, root: &Path) -> std::io::Result<()> {
        let mut text = String::from(
            "# Each bundle version and the hash of its files (`onestop check --lock` adds new ones).\n\
             # A version's files never change: change them and raise the bundle's `version`.\n",
        );
        for ((bundle, version), hash) in &self.entries {
            text.push_str(&format!("{bundle} {version} {hash}\n"));
        }
        std::fs::write(root.join(LOCK_FILE), text)
    }
}

/// Problems of the current definitions against the lock: a version whose files changed (an
/// error) and a version not recorded yet (a warning).
pub fn against_lock(root: &Path, catalog: &Catalog, lock: &Lock) -> Diagnostics {
    let mut found = Diagnostics {
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    // Definitions without a lock (a fixture, a first draft) have nothing to compare with.
    if !root.join(LOCK_FILE).exists() {
        return found;
    }
    for bundle in catalog.bundles.values() {
        let file = Path::new(bundle.files.first().map_or("bundles", String::as_str));
        let snapshot = match Snapshot::of(root, catalog, bundle) {
            Ok(snapshot) => snapshot,
            Err(e) => {
                let message = format!("cannot read its files: {e}");
                found.errors.push(Diagnostic::new(file, "version", message));
                continue;
            }
        };
        match lock.hash(bundle.id.as_str(), bundle.version) {
            Some(hash) if hash == snapshot.hash => {}
            Some(_) => found.errors.push(Diagnostic::new(
                file,
                "version",
                format!(
                    "the files of version {} changed, but its version did not: raise `version` \
                     (applications submitted under {} keep their own files)",
                    bundle.version, bundle.version
                ),
            )),
            None => found.warnings.push(Diagnostic::new(
                file,
                "version",
                format!(
                    "version {} is not in {LOCK_FILE}: `onestop check --lock` records it",
                    bundle.version
                ),
            )),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_is_read_relative_to_the_form_that_makes_it() {
        let schema = serde_json::json!({
            "properties": {
                "a": { "$ref": "common/person.schema.json" },
                "b": { "$ref": "../x.schema.json#/$defs/y" },
                "c": { "$ref": "#/$defs/local" },
                "d": { "$ref": "https://onestop.invalid/forms/common/name.schema.json" }
            }
        });
        let found = references(&schema, "forms/civil.schema.json");
        assert_eq!(
            found,
            vec![
                "forms/common/person.schema.json",
                "x.schema.json",
                "forms/common/name.schema.json"
            ]
        );
    }

    #[test]
    fn the_hash_changes_with_any_file_and_not_with_nothing() {
        let files = BTreeMap::from([("a".to_owned(), "1".to_owned())]);
        let id = BundleId::parse("birth").expect("an id");
        let one = Snapshot::new(id.clone(), 1, files.clone());
        assert_eq!(one.hash, Snapshot::new(id.clone(), 1, files).hash);
        let other = BTreeMap::from([("a".to_owned(), "2".to_owned())]);
        assert_ne!(one.hash, Snapshot::new(id, 1, other).hash);
    }
}
