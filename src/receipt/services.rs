//! The receipt's services: one line per call of the application, in the order of its calls, and
//! the order the table prints them in. The lines keep the calls' order because the pages read
//! them by the call's index (the application page, the verify page, the check codes kept at a
//! purge); the table may print them otherwise: when services repeat for several items (twins,
//! the family members moving), the lines of the other services come first, then each item's
//! lines under a heading with its name. Nothing here formats or lays anything out.

use super::{Bi, ServiceLine};

/// Every call's line, and the groups the table prints the repeated ones in.
#[derive(Clone, Debug, Default)]
pub struct Services {
    lines: Vec<ServiceLine>,
    /// Each item's lines under its heading, printed after the lines in no group.
    groups: Vec<Group>,
}

/// The lines of one item (a child, a family member) under a heading with its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The item's name (`Мар'яна Коваленко`), or its number (`№ 2`) when it has none.
    pub heading: Bi,
    /// Its lines, by index into the calls' lines, with their titles under the heading (without
    /// the item's name, which the line's own title carries for the pages that list calls flat).
    pub rows: Vec<(usize, Bi)>,
}

/// One row of the table in printing order.
#[derive(Clone, Copy, Debug)]
pub(super) enum Printed<'a> {
    /// An item's heading.
    Heading(&'a Bi),
    /// A call's line and the title to print for it.
    Line(&'a ServiceLine, &'a Bi),
}

impl Services {
    /// Lines printed in their own order, in no group.
    pub fn flat(lines: Vec<ServiceLine>) -> Self {
        Self {
            lines,
            groups: Vec::new(),
        }
    }

    /// Lines with `groups`; rows naming a line that does not exist are left out.
    pub fn grouped(lines: Vec<ServiceLine>, mut groups: Vec<Group>) -> Self {
        for group in &mut groups {
            group.rows.retain(|(i, _)| *i < lines.len());
        }
        Self { lines, groups }
    }

    /// The line of the call at `index` (in the application's order of calls).
    pub fn get(&self, index: usize) -> Option<&ServiceLine> {
        self.lines.get(index)
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The lines in the order of the calls.
    pub fn iter(&self) -> std::slice::Iter<'_, ServiceLine> {
        self.lines.iter()
    }

    /// The table's rows: the lines in no group, then each group's heading and its lines.
    pub(super) fn printed(&self) -> Vec<Printed<'_>> {
        let mut grouped = vec![false; self.lines.len()];
        for (i, _) in self.groups.iter().flat_map(|g| &g.rows) {
            grouped[*i] = true;
        }
        let mut rows: Vec<Printed<'_>> = (self.lines.iter().zip(grouped))
            .filter(|(_, grouped)| !grouped)
            .map(|(line, _)| Printed::Line(line, &line.title))
            .collect();
        for group in &self.groups {
            rows.push(Printed::Heading(&group.heading));
            let lines = group.rows.iter().map(|(i, t)| (&self.lines[*i], t));
            rows.extend(lines.map(|(line, title)| Printed::Line(line, title)));
        }
        rows
    }
}

impl FromIterator<ServiceLine> for Services {
    fn from_iter<I: IntoIterator<Item = ServiceLine>>(lines: I) -> Self {
        Self::flat(lines.into_iter().collect())
    }
}

impl IntoIterator for Services {
    type Item = ServiceLine;
    type IntoIter = std::vec::IntoIter<ServiceLine>;

    fn into_iter(self) -> Self::IntoIter {
        self.lines.into_iter()
    }
}

impl<'a> IntoIterator for &'a Services {
    type Item = &'a ServiceLine;
    type IntoIter = std::slice::Iter<'a, ServiceLine>;

    fn into_iter(self) -> Self::IntoIter {
        self.lines.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt::StatusKind;

    fn line(title: &str) -> ServiceLine {
        ServiceLine {
            title: Bi::new(title, title),
            authority: Bi::default(),
            status: StatusKind::Succeeded,
            reference: Bi::default(),
            digest: String::new(),
        }
    }

    fn titles(services: &Services) -> Vec<String> {
        let text = |row: &Printed<'_>| match row {
            Printed::Heading(h) => format!("# {}", h.uk),
            Printed::Line(_, title) => title.uk.clone(),
        };
        services.printed().iter().map(text).collect()
    }

    #[test]
    fn flat_lines_print_in_their_own_order() {
        let services: Services = ["a", "b"].into_iter().map(line).collect();
        assert_eq!(titles(&services), ["a", "b"]);
        assert_eq!(services.get(1).map(|l| l.title.uk.as_str()), Some("b"));
    }

    #[test]
    fn grouped_lines_print_after_the_others_under_their_headings() {
        let lines = ["tax (A)", "tax (B)", "notice", "id (A)", "id (B)"];
        let group = |name: &str, rows: [(usize, &str); 2]| Group {
            heading: Bi::new(name, name),
            rows: rows.map(|(i, t)| (i, Bi::new(t, t))).to_vec(),
        };
        let services = Services::grouped(
            lines.into_iter().map(line).collect(),
            vec![
                group("A", [(0, "tax"), (3, "id")]),
                group("B", [(1, "tax"), (4, "id")]),
            ],
        );
        assert_eq!(
            titles(&services),
            ["notice", "# A", "tax", "id", "# B", "tax", "id"]
        );
        assert_eq!(services.len(), 5);
        let in_call_order: Vec<&str> = services.iter().map(|l| l.title.uk.as_str()).collect();
        assert_eq!(in_call_order, lines);
    }
}
