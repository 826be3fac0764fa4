//! Reading the definition files: every form (`forms/**/*.schema.json`) and every YAML file of a
//! folder (`services/`, `bundles/`), each problem reported against the file. This is the only
//! part of compilation that touches the file system; it checks nothing beyond "it parses".

use crate::bundle::diag::Diagnostic;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files_with_suffix(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_with_suffix(&path, suffix, out);
        } else if path.to_string_lossy().ends_with(suffix) {
            out.push(path);
        }
    }
}

/// Every `forms/**/*.schema.json`, by path relative to `forms/`.
pub(super) fn load_forms(root: &Path, diags: &mut Vec<Diagnostic>) -> BTreeMap<String, Value> {
    let dir = root.join("forms");
    let mut paths = Vec::new();
    files_with_suffix(&dir, ".schema.json", &mut paths);
    let mut forms = BTreeMap::new();
    for path in paths {
        let shown = relative(root, &path);
        let rel = path
            .strip_prefix(&dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        match std::fs::read_to_string(&path)
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

/// Every `<folder>/*.yaml` (or `.yml`) under `root`, read as `T`, by path relative to `root`.
pub(super) fn load_yaml<T: serde::de::DeserializeOwned>(
    root: &Path,
    folder: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(PathBuf, T)> {
    let mut paths = Vec::new();
    let dir = root.join(folder);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        paths = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
    }
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let shown = relative(root, &path);
        match std::fs::read_to_string(&path) {
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

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

pub(super) fn file_stem(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
