//! Statement texts whose length follows a batch, in a few lengths only.
//!
//! sqlx prepares each distinct statement text once per connection and keeps up to 100 of them;
//! a list of values one longer is another statement, prepared again (on SQLite a parse and a
//! plan while the write lock is held) and pushing a useful one out. So lists are padded to the
//! next power of two: `IN (…)` lists by repeating their last value, `VALUES` lists with rows
//! of NULLs that match nothing and are inserted nowhere. A statement kind then has at most
//! eight or nine texts.

use super::StoreError;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

pub(super) type AnyQuery<'q> = Query<'q, Any, AnyArguments>;

/// A statement built for a batch, in the form the connection's backend binds fastest.
///
/// The texts number their parameters `$1, $2, …` as PostgreSQL wants. SQLite accepts those
/// too, but keeps numbered parameters in a list it searches from the start each time sqlx
/// asks a parameter's name while binding, so a batch of a few thousand parameters spent more
/// time binding than running. On SQLite, a text whose
/// `$n` appear once each, in order, is sent with plain `?`s, which have no name to look up.
pub(super) fn batch<'q>(conn: &AnyConnection, sql: String) -> AnyQuery<'q> {
    let sql = match conn.backend_name() {
        "SQLite" => positional(&sql).unwrap_or(sql),
        _ => sql,
    };
    sqlx::query(sqlx::AssertSqlSafe(sql))
}

/// `sql` with `$1 … $n` replaced by `?`, if they appear once each and in that order.
fn positional(sql: &str) -> Option<String> {
    let mut out = String::with_capacity(sql.len());
    let mut next = 1;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let n: usize = after[..digits].parse().ok()?;
        if n != next {
            return None;
        }
        next += 1;
        out.push('?');
        rest = &after[digits..];
    }
    out.push_str(rest);
    Some(out)
}

/// The padded length of a list of `n` values.
pub(super) fn bucket(n: usize) -> usize {
    n.max(1).next_power_of_two()
}

/// `$from, $from+1, …` for `count` parameters.
pub(super) fn placeholders(from: usize, count: usize) -> String {
    (0..count)
        .map(|n| format!("${}", from + n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ids` padded to `bucket(ids.len())` by repeating the last (an `IN` list means the same).
pub(super) fn padded<S: AsRef<str>>(ids: &[S]) -> impl Iterator<Item = &str> {
    let last = ids.last().map_or("", |s| s.as_ref());
    let pad = bucket(ids.len()) - ids.len();
    ids.iter()
        .map(AsRef::as_ref)
        .chain(std::iter::repeat_n(last, pad))
}

/// The SQL type of a column in a `VALUES` list; the casts tell PostgreSQL the types of the
/// parameters, NULLs included (SQLite takes them as they are).
#[derive(Debug, Clone, Copy)]
pub(super) enum Ty {
    Text,
    Int,
}

/// `(CAST($p AS …), …), (…)` for `rows` rows of `types`, numbered from `from`.
pub(super) fn typed_values(types: &[Ty], rows: usize, from: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(c, ty)| {
                    let name = match ty {
                        Ty::Text => "TEXT",
                        Ty::Int => "BIGINT",
                    };
                    format!("CAST(${} AS {name})", from + r * types.len() + c)
                })
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Bind `rows` rows of NULLs of `types`: the padding of a `VALUES` list.
pub(super) fn bind_null_rows<'q>(
    mut query: AnyQuery<'q>,
    types: &[Ty],
    rows: usize,
) -> AnyQuery<'q> {
    for _ in 0..rows {
        for ty in types {
            query = match ty {
                Ty::Text => query.bind(None::<String>),
                Ty::Int => query.bind(None::<i64>),
            };
        }
    }
    query
}

/// A parameter bound before an `IN (…)` list, or of a statement built piece by piece.
#[derive(Clone)]
pub(super) enum Param<'a> {
    Text(&'a str),
    Owned(String),
    Int(i64),
}

impl Param<'_> {
    /// Bind it as the next parameter of `query`.
    pub(super) fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        match self {
            Param::Text(text) => query.bind(*text),
            Param::Owned(text) => query.bind(text.as_str()),
            Param::Int(n) => query.bind(*n),
        }
    }
}

/// `{sql} (…ids)` with `fixed` bound first, in chunks of `IN_CHUNK` ids; nothing for no ids.
pub(super) async fn update_in(
    tx: &mut sqlx::AnyConnection,
    sql: &str,
    fixed: &[Param<'_>],
    ids: &[String],
) -> Result<(), StoreError> {
    for chunk in ids.chunks(IN_CHUNK) {
        let list = placeholders(fixed.len() + 1, bucket(chunk.len()));
        let sql = format!("{sql} ({list})");
        let mut query = batch(&*tx, sql);
        for param in fixed {
            query = param.bind(query);
        }
        for id in padded(chunk) {
            query = query.bind(id);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Parameters per `IN (…)` list: well under either backend's limit on parameters.
pub(super) const IN_CHUNK: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_padded_to_powers_of_two() {
        assert_eq!(bucket(0), 1);
        assert_eq!(bucket(5), 8);
        assert_eq!(bucket(64), 64);
        let ids = ["a", "b", "c"];
        assert_eq!(padded(&ids).collect::<Vec<_>>(), ["a", "b", "c", "c"]);
    }

    #[test]
    fn parameters_in_order_become_positional() {
        assert_eq!(
            positional("UPDATE t SET a = $1 WHERE id IN ($2, $3)").as_deref(),
            Some("UPDATE t SET a = ? WHERE id IN (?, ?)")
        );
        assert_eq!(positional("SELECT 1").as_deref(), Some("SELECT 1"));
        // Repeated, out of order, or not a number: left numbered.
        assert_eq!(positional("SET a = $1, b = $1"), None);
        assert_eq!(positional("SET a = $2, b = $1"), None);
        assert_eq!(positional("SET a = $x"), None);
    }

    #[test]
    fn values_are_typed_and_numbered_in_order() {
        let sql = typed_values(&[Ty::Text, Ty::Int], 2, 2);
        assert_eq!(
            sql,
            "(CAST($2 AS TEXT), CAST($3 AS BIGINT)), (CAST($4 AS TEXT), CAST($5 AS BIGINT))"
        );
    }
}
