//! Reading the definition files: every form (`forms/**/*.schema.json`) and every YAML file of a
//! folder (`services/`, `bundles/`), each problem reported against the file. The files come from
//! a folder or from texts in memory (`Sources`); this is the only part of compilation that
//! touches the file system, and it checks nothing beyond "it parses".

use crate::bundle::diag::Diagnostic;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Where the definition files are read from: a folder, or texts by path relative to the
/// definitions' root (`bundles/birth.yaml`), as a stored snapshot or a fuzzer gives them.
#[derive(Clone, Copy)]
pub(in crate::bundle) enum Sources<'a> {
    Folder(&'a Path),
    Memory(&'a BTreeMap<String, String>),
}

impl Sources<'_> {
    /// The text of the file at `relative` (to the definitions' root); a path that would leave
    /// the root (a `receipt: ../../x` in a bundle) is not read, from a folder or from memory.
    pub(in crate::bundle) fn read(&self, relative: &Path) -> io::Result<String> {
        let Some(key) = plain(relative) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the path leaves the definitions' folder",
            ));
        };
        match self {
            Sources::Folder(root) => std::fs::read_to_string(root.join(key)),
            Sources::Memory(files) => (files.get(&key).cloned())
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file")),
        }
    }

    /// The files under `folder` (in its subfolders too when `deep`) whose names `keep`, by path
    /// relative to the definitions' root, in path order.
    fn list(&self, folder: &str, deep: bool, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = match self {
            Sources::Folder(root) => {
                let mut found = Vec::new();
                files_in(&root.join(folder), deep, &mut found);
                (found.into_iter())
                    .map(|p| p.strip_prefix(root).map(Path::to_path_buf).unwrap_or(p))
                    .collect()
            }
            Sources::Memory(files) => (files.keys())
                .filter_map(|key| plain(Path::new(key)).map(PathBuf::from))
                .filter(|p| {
                    let inner = p.strip_prefix(folder).ok();
                    inner.is_some_and(|inner| deep || inner.components().count() == 1)
                })
                .collect(),
        };
        paths.retain(|p| keep(p));
        paths.sort();
        paths
    }
}

/// `relative` without `.` and `..` (`receipts/../x` is `x`), or `None` when it would leave the
/// definitions' root or is not relative (a stored path is not trusted).
fn plain(relative: &Path) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Every file in `dir` (and its subfolders when `deep`), into `out`.
fn files_in(dir: &Path, deep: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if deep && path.is_dir() {
            files_in(&path, deep, out);
        } else {
            out.push(path);
        }
    }
}

/// Every `forms/**/*.schema.json`, by path relative to `forms/`.
pub(super) fn load_forms(sources: Sources, diags: &mut Vec<Diagnostic>) -> BTreeMap<String, Value> {
    let paths = sources.list("forms", true, |p| {
        p.to_string_lossy().ends_with(".schema.json")
    });
    let mut forms = BTreeMap::new();
    for shown in paths {
        let rel = (shown.strip_prefix("forms").unwrap_or(&shown))
            .to_string_lossy()
            .replace('\\', "/");
        match sources
            .read(&shown)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                serde_json::from_str::<Value>(&text).map_err(|e| {
                    format!(
                        "invalid JSON at line {}, column {}: {e}",
                        e.line(),
                        e.column()
                    )
                })
            }) {
            Ok(value) => {
                forms.insert(rel, value);
            }
            Err(e) => diags.push(Diagnostic::new(&shown, "", e)),
        }
    }
    forms
}

/// Every `<folder>/*.yaml` (or `.yml`), read as `T`, by path relative to the definitions' root.
pub(super) fn load_yaml<T: serde::de::DeserializeOwned>(
    sources: Sources,
    folder: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(PathBuf, T)> {
    let paths = sources.list(folder, false, |p| {
        p.extension().is_some_and(|x| x == "yaml" || x == "yml")
    });
    let mut out = Vec::new();
    for shown in paths {
        match sources.read(&shown) {
            Ok(text) => match serde_saphyr::from_str::<T>(&text) {
                Ok(raw) => out.push((shown, raw)),
                Err(e) => diags.push(Diagnostic::new(
                    &shown,
                    "",
                    format!("cannot read YAML: {}", first_line(&e.to_string())),
                )),
            },
            Err(e) => diags.push(Diagnostic::new(
                &shown,
                "",
                format!("cannot read file: {e}"),
            )),
        }
    }
    out
}

fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    line.trim_start_matches("error: ").to_owned()
}

pub(super) fn file_stem(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the repository's definition folders, by path relative to its root.
    fn shipped() -> (PathBuf, BTreeMap<String, String>) {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut found = Vec::new();
        for folder in ["bundles", "services", "forms", "receipts"] {
            files_in(&root.join(folder), true, &mut found);
        }
        let files = (found.into_iter())
            .filter_map(|path| {
                let text = std::fs::read_to_string(&path).ok()?;
                let relative = path
                    .strip_prefix(&root)
                    .ok()?
                    .to_string_lossy()
                    .into_owned();
                Some((relative, text))
            })
            .collect();
        (root, files)
    }

    #[test]
    fn definitions_compiled_from_memory_are_those_compiled_from_their_folder() {
        let (root, files) = shipped();
        let folder = crate::bundle::compile(&root).expect("the shipped definitions compile");
        let memory = crate::bundle::compile_sources(&files).expect("the same texts compile");
        let ids = |c: &crate::bundle::Catalog| {
            let bundles: Vec<String> = c.bundles.keys().map(ToString::to_string).collect();
            let services: Vec<String> = c.services.keys().map(ToString::to_string).collect();
            (bundles, services, c.warnings.len())
        };
        assert_eq!(ids(&memory), ids(&folder));
        assert!(!memory.bundles.is_empty());
    }

    #[test]
    fn a_definition_missing_from_memory_is_reported_as_from_its_folder() {
        let (_, mut files) = shipped();
        let dir = tempfile::tempdir().expect("a temporary folder");
        files.retain(|path, _| !path.starts_with("services/"));
        for (path, text) in &files {
            let target = dir.path().join(path);
            std::fs::create_dir_all(target.parent().expect("a folder")).expect("folders");
            std::fs::write(target, text).expect("a file");
        }
        let told = |result: Result<crate::bundle::Catalog, crate::bundle::Diagnostics>| {
            let errors = result.err().map(|d| d.errors).unwrap_or_default();
            errors.iter().map(ToString::to_string).collect::<Vec<_>>()
        };
        let from_memory = told(crate::bundle::compile_sources(&files));
        assert!(
            !from_memory.is_empty(),
            "bundles without their services compile"
        );
        assert_eq!(from_memory, told(crate::bundle::compile(dir.path())));
    }

    #[test]
    fn a_path_that_leaves_the_definitions_root_is_not_read_from_memory() {
        let files = BTreeMap::from([
            ("forms/a.schema.json".to_owned(), "{}".to_owned()),
            ("../etc/passwd".to_owned(), "secret".to_owned()),
        ]);
        let sources = Sources::Memory(&files);
        assert!(sources.read(Path::new("../etc/passwd")).is_err());
        assert!(sources.read(Path::new("/etc/passwd")).is_err());
        let climbed = sources.read(Path::new("receipts/../forms/a.schema.json"));
        assert_eq!(climbed.ok().as_deref(), Some("{}"));
    }

    #[test]
    fn a_path_that_leaves_the_definitions_root_is_not_read_from_a_folder() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path().join("definitions");
        std::fs::create_dir_all(root.join("receipts")).expect("folders");
        std::fs::write(dir.path().join("secret.txt"), "secret").expect("a file");
        std::fs::write(root.join("receipts/a.hbs"), "a").expect("a file");
        let sources = Sources::Folder(&root);
        let left = sources.read(Path::new("receipts/../../secret.txt"));
        assert_eq!(
            left.err().map(|e| e.kind()),
            Some(io::ErrorKind::InvalidInput)
        );
        assert!(
            sources.read(&dir.path().join("secret.txt")).is_err(),
            "nor an absolute path"
        );
        let within = sources.read(Path::new("receipts/./a.hbs"));
        assert_eq!(within.ok().as_deref(), Some("a"));
    }

    #[test]
    fn a_stored_path_outside_the_definition_folders_is_not_listed() {
        let files = BTreeMap::from([
            ("forms/../../x.schema.json".to_owned(), "{}".to_owned()),
            ("forms/common/a.schema.json".to_owned(), "{}".to_owned()),
            ("bundles/nested/b.yaml".to_owned(), String::new()),
            ("bundles/c.yml".to_owned(), String::new()),
        ]);
        let sources = Sources::Memory(&files);
        let forms = sources.list("forms", true, |_| true);
        assert_eq!(forms, vec![PathBuf::from("forms/common/a.schema.json")]);
        let bundles = sources.list("bundles", false, |_| true);
        assert_eq!(bundles, vec![PathBuf::from("bundles/c.yml")]);
    }
}
