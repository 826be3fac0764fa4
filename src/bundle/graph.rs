//! Drawing a bundle's dependency graph (Mermaid or Graphviz DOT), for analysts and the README.

use super::{Bundle, Catalog, Step};

/// Output notation of `onestop graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Notation {
    Mermaid,
    Dot,
}

/// The bundle's services as nodes (titled in Ukrainian, optional ones dashed) and its
/// dependencies as edges, labelled with the outputs they carry.
pub fn graph(bundle: &Bundle, catalog: &Catalog, notation: Notation) -> String {
    let title = |step: &Step| {
        catalog
            .service(&step.service)
            .map_or_else(|| step.service.to_string(), |s| s.title.uk.clone())
    };
    let node = |id: &str| id.replace(['.', '-'], "_");
    let mut out = match notation {
        Notation::Mermaid => String::from("flowchart TD\n"),
        Notation::Dot => format!(
            "digraph \"{}\" {{\n  rankdir=TB;\n  node [shape=box];\n",
            bundle.id
        ),
    };
    for step in &bundle.steps {
        let (id, label) = (node(step.service.as_str()), title(step).replace('"', "'"));
        out += &match (notation, step.optional) {
            (Notation::Mermaid, false) => {
                format!("  {id}[\"{label}<br/><small>{}</small>\"]\n", step.service)
            }
            (Notation::Mermaid, true) => format!(
                "  {id}([\"{label}<br/><small>{} (за вибором)</small>\"])\n",
                step.service
            ),
            (Notation::Dot, optional) => format!(
                "  {id} [label=\"{label}\\n{}\"{}];\n",
                step.service,
                if optional { ", style=dashed" } else { "" }
            ),
        };
    }
    for step in &bundle.steps {
        for dep in &step.depends_on {
            let carried: Vec<&str> = step
                .bindings
                .iter()
                .filter(|b| &b.from == dep)
                .map(|b| b.output.as_str())
                .collect();
            let (from, to) = (node(dep.as_str()), node(step.service.as_str()));
            out += &match (notation, carried.is_empty()) {
                (Notation::Mermaid, true) => format!("  {from} --> {to}\n"),
                (Notation::Mermaid, false) => {
                    format!("  {from} -->|{}| {to}\n", carried.join(", "))
                }
                (Notation::Dot, true) => format!("  {from} -> {to};\n"),
                (Notation::Dot, false) => {
                    format!("  {from} -> {to} [label=\"{}\"];\n", carried.join(", "))
                }
            };
        }
    }
    if notation == Notation::Dot {
        out += "}\n";
    }
    out
}
