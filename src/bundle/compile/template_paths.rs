//! The paths a handlebars template names, looked up in what its root provides, the way
//! handlebars resolves them: `{{#each list}}` and `{{#with x}}` move into an item or a value
//! (`this`, `../x`, `@root.x`, `@index`, `as |item i|`), `{{#if}}`, `{{#unless}}` and
//! `{{else}}` do not; a helper's parameters and hash values are paths too, subexpressions
//! included. It walks the handlebars crate's own parse tree; it renders nothing.

use super::provided::{OPEN, Provided, VALUE};
use handlebars::template::{BlockParam, HelperTemplate, Parameter, Template, TemplateElement};
use handlebars::{Path, PathSeg};

/// The helpers the templates' registries know: handlebars' own, and `date` and `money`.
const HELPERS: [&str; 19] = [
    "if", "unless", "each", "with", "lookup", "raw", "log", "eq", "ne", "gt", "gte", "lt", "lte",
    "and", "or", "not", "len", "date", "money",
];

/// Something a template names that its root cannot provide, where the template says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    pub line: usize,
    pub column: usize,
    /// The path as written (`../mother.surname`), or the helper's name.
    pub written: String,
    pub kind: Kind,
}

/// What is wrong with a path, with where it leads (`at`: field names from the root, `[]` for
/// an item of a list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    /// `at` has no field `field`; it has `known`.
    NoField {
        at: Vec<String>,
        field: String,
        known: Vec<String>,
    },
    /// `at` is a list, named as if it were one value.
    List { at: Vec<String>, field: String },
    /// `at` is a single value, named as if it had fields.
    Single { at: Vec<String>, field: String },
    /// `{{#each}}` over a single value.
    NotAList,
    /// `../` climbs above the template's root.
    AboveRoot,
    /// `@index`, `@first`, `@last` or `@key` outside `{{#each}}`, or an unknown `@` name.
    Local,
    /// A helper no registry knows.
    UnknownHelper,
    /// A partial or a decorator: the registries have none.
    Partial,
}

/// Every problem of `template` over a root that provides `root`.
pub(super) fn problems(template: &Template, root: &Provided) -> Vec<Problem> {
    let mut walker = Walker {
        frames: vec![Frame {
            this: root,
            at: Vec::new(),
            params: Vec::new(),
            each: false,
        }],
        at: (1, 1),
        problems: Vec::new(),
    };
    walker.template(template);
    walker.problems
}

/// One block context: what `this` is, where it is, its block parameters, and whether
/// `@index` and the like are known in it.
struct Frame<'a> {
    this: &'a Provided,
    at: Vec<String>,
    params: Vec<(String, Found<'a>)>,
    each: bool,
}

/// What a path provides, and where it leads from the root (empty when unknown).
type Found<'a> = (&'a Provided, Vec<String>);

struct Walker<'a> {
    frames: Vec<Frame<'a>>,
    /// Line and column of the element being walked.
    at: (usize, usize),
    problems: Vec<Problem>,
}

impl<'a> Walker<'a> {
    fn template(&mut self, template: &'a Template) {
        for (i, element) in template.elements.iter().enumerate() {
            // An `{{else if}}` chain holds its blocks without their positions: keep the last.
            if let Some(mapping) = template.mapping.get(i) {
                self.at = (mapping.0, mapping.1);
            }
            self.element(element);
        }
    }

    fn element(&mut self, element: &'a TemplateElement) {
        match element {
            TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht) => {
                self.expression(ht);
            }
            TemplateElement::HelperBlock(ht) => self.block(ht),
            TemplateElement::DecoratorExpression(d)
            | TemplateElement::DecoratorBlock(d)
            | TemplateElement::PartialExpression(d)
            | TemplateElement::PartialBlock(d) => {
                let written = d.name.as_name().unwrap_or_default().to_owned();
                self.report(written, Kind::Partial);
            }
            _ => {}
        }
    }

    /// `{{path}}`, `{{helper a b k=c}}`, `{{(sub x)}}`: a value, or a helper's result.
    fn expression(&mut self, ht: &'a HelperTemplate) -> Found<'a> {
        let name_only = ht.params.is_empty() && ht.hash.is_empty() && !ht.block;
        match &ht.name {
            // A name alone is a helper when one has that name, else a path.
            Parameter::Path(path) if name_only && !HELPERS.contains(&raw(path)) => self.path(path),
            Parameter::Subexpression(_) if name_only => self.parameter(&ht.name),
            name => {
                self.helper(name);
                for param in ht.params.iter().chain(ht.hash.values()) {
                    self.parameter(param);
                }
                (&OPEN, Vec::new())
            }
        }
    }

    /// A helper's name must be one the registries know.
    fn helper(&mut self, name: &Parameter) {
        let written = name.as_name().unwrap_or_default();
        if !HELPERS.contains(&written) {
            self.report(written.to_owned(), Kind::UnknownHelper);
        }
    }

    /// What a parameter provides: a path's field, or a helper's or a literal's value (unknown).
    fn parameter(&mut self, param: &'a Parameter) -> Found<'a> {
        match param {
            Parameter::Path(path) => self.path(path),
            Parameter::Subexpression(sub) => match sub.as_element() {
                TemplateElement::Expression(ht) => self.expression(ht),
                _ => (&OPEN, Vec::new()),
            },
            _ => (&OPEN, Vec::new()),
        }
    }

    /// `{{#each}}` and `{{#with}}` move into what their parameter names; any other block
    /// keeps the context. `{{else}}` is walked where the block stands.
    fn block(&mut self, ht: &'a HelperTemplate) {
        self.helper(&ht.name);
        let first = ht.params.first().map(|p| self.parameter(p));
        for param in ht.params.iter().skip(1).chain(ht.hash.values()) {
            self.parameter(param);
        }
        let into = match (ht.name.as_name(), first) {
            (Some("each"), Some((list, mut at))) => {
                at.push("[]".to_owned());
                Some((self.item(ht, list), at, true))
            }
            (Some("with"), Some((value, at))) => Some((value, at, false)),
            _ => None,
        };
        if let Some(body) = &ht.template {
            match into {
                Some((this, at, each)) => self.inside(ht, (this, at), each, body),
                None => self.template(body),
            }
        }
        if let Some(inverse) = &ht.inverse {
            self.template(inverse);
        }
    }

    /// What one item of `list` provides (a map's values are unknown).
    fn item(&mut self, ht: &HelperTemplate, list: &'a Provided) -> &'a Provided {
        match list {
            Provided::List(item) => item,
            Provided::Value => {
                let written = ht.params.first().and_then(Parameter::as_name);
                self.report(written.unwrap_or_default().to_owned(), Kind::NotAList);
                &OPEN
            }
            Provided::Object(_) | Provided::Open => &OPEN,
        }
    }

    /// Walk `body` with `this` as its context, and the block's parameters bound.
    fn inside(&mut self, ht: &HelperTemplate, this: Found<'a>, each: bool, body: &'a Template) {
        let (this, at) = this;
        let mut params = Vec::new();
        match &ht.block_param {
            Some(BlockParam::Single(Parameter::Name(value))) => {
                params.push((value.clone(), (this, at.clone())));
            }
            Some(BlockParam::Pair((Parameter::Name(value), Parameter::Name(key)))) => {
                params.push((value.clone(), (this, at.clone())));
                params.push((key.clone(), (&VALUE, Vec::new())));
            }
            _ => {}
        }
        // `{{#with}}` keeps the `@index` of the `{{#each}}` around it.
        let inherits = self.frames.last().is_some_and(|f| f.each);
        self.frames.push(Frame {
            this,
            at,
            params,
            each: each || inherits,
        });
        self.template(body);
        self.frames.pop();
    }

    /// What a path provides and where it leads, each problem on the way reported.
    fn path(&mut self, path: &'a Path) -> Found<'a> {
        let (segs, written) = match path {
            Path::Local((_, name, written)) => {
                let known = ["index", "first", "last", "key"].contains(&name.as_str());
                if !known || !self.frames.last().is_some_and(|f| f.each) {
                    self.report(written.clone(), Kind::Local);
                }
                return (&VALUE, Vec::new());
            }
            Path::Relative((segs, written)) => (segs, written),
        };
        let names: Vec<&str> = named(path).collect();
        let Some(((mut here, mut at), rest)) = self.start(segs, &names, written) else {
            return (&OPEN, Vec::new());
        };
        for name in rest {
            match step(here, &at, name) {
                Ok(next) => here = next,
                Err(kind) => {
                    self.report(written.clone(), kind);
                    return (&OPEN, at);
                }
            }
            at.push(match name.parse::<usize>() {
                Ok(_) => format!("[{name}]"),
                Err(_) => (*name).to_owned(),
            });
            if *here == Provided::Open {
                break;
            }
        }
        (here, at)
    }

    /// Where a path starts (a block parameter, `@root`, `this` of a block up by its `../`),
    /// and the names it goes on with.
    fn start<'n>(
        &mut self,
        segs: &[PathSeg],
        names: &'n [&'n str],
        written: &str,
    ) -> Option<(Found<'a>, &'n [&'n str])> {
        if let Some(first) = names.first() {
            let param = (self.frames.iter().rev())
                .flat_map(|f| f.params.iter())
                .find(|(name, _)| name == first);
            if let Some((_, found)) = param {
                return Some((found.clone(), &names[1..]));
            }
        }
        // The grammar's rules are private to handlebars; their names are not.
        let ruled = |rule: &str| {
            (segs.iter())
                .filter(|s| matches!(s, PathSeg::Ruled(r) if format!("{r:?}") == rule))
                .count()
        };
        let frame = if ruled("path_root") > 0 {
            self.frames.first()
        } else {
            let Some(index) = self.frames.len().checked_sub(ruled("path_up") + 1) else {
                self.report(written.to_owned(), Kind::AboveRoot);
                return None;
            };
            self.frames.get(index)
        };
        frame.map(|f| ((f.this, f.at.clone()), names))
    }

    fn report(&mut self, written: String, kind: Kind) {
        let (line, column) = self.at;
        self.problems.push(Problem {
            line,
            column,
            written,
            kind,
        });
    }
}

/// One step down a path: the field `name` of `here` (at `at`), or why there is none.
fn step<'a>(here: &'a Provided, at: &[String], name: &str) -> Result<&'a Provided, Kind> {
    let at = at.to_vec();
    let field = name.to_owned();
    match here {
        Provided::Open => Ok(&OPEN),
        Provided::Object(fields) => fields.get(name).ok_or_else(|| Kind::NoField {
            known: fields.keys().cloned().collect(),
            at,
            field,
        }),
        Provided::List(item) if name.parse::<usize>().is_ok() => Ok(item),
        Provided::List(_) => Err(Kind::List { at, field }),
        Provided::Value => Err(Kind::Single { at, field }),
    }
}

/// A path as written.
fn raw(path: &Path) -> &str {
    match path {
        Path::Relative((_, raw)) | Path::Local((_, _, raw)) => raw,
    }
}

/// The field names of a path, in order (`this`, `../`, `@root` left out).
fn named(path: &Path) -> impl Iterator<Item = &str> {
    let segs = match path {
        Path::Relative((segs, _)) => segs.as_slice(),
        Path::Local(_) => &[],
    };
    segs.iter().filter_map(|s| match s {
        PathSeg::Named(name) => Some(name.as_str()),
        _ => None,
    })
}
