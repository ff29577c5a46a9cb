//! A small builder for queries whose shape depends on filters: it numbers the `$n`
//! placeholders and keeps the values in order, so dynamic SQL is never string-spliced values.

use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;
use sqlx::Any;

/// Binds one [`Arg`] to a query of either kind (`Query` and `QueryAs` share no trait for it).
macro_rules! bind {
    ($query:expr, $arg:expr) => {
        match $arg {
            Arg::Text(t) => $query.bind(t.clone()),
            Arg::Int(i) => $query.bind(*i),
            Arg::OptInt(i) => $query.bind(*i),
            Arg::Float(f) => $query.bind(*f),
        }
    };
}

/// A bindable value.
#[derive(Clone, Debug)]
pub enum Arg {
    /// Text, or NULL.
    Text(Option<String>),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit integer, or NULL.
    OptInt(Option<i64>),
    /// A double.
    Float(f64),
}

/// SQL text with its arguments.
#[derive(Debug, Default)]
pub struct Sql {
    /// The SQL so far.
    pub text: String,
    args: Vec<Arg>,
    /// Written with literal values ([`Sql::id_list`]): its text is one of many, not worth
    /// keeping prepared.
    one_off: bool,
}

impl Sql {
    /// Starts a query.
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
            one_off: false,
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// Appends a text placeholder.
    pub fn text(&mut self, value: impl Into<String>) -> &mut Self {
        self.bind(Arg::Text(Some(value.into())))
    }

    /// Appends `<column> IN (…)`, one text placeholder per value.
    pub fn in_list(&mut self, column: &str, values: &[String]) -> &mut Self {
        self.push(column).push(" IN (");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.text(v.clone());
        }
        self.push(")")
    }

    /// Appends `<column> IN ('…', …)` with the ids written in as literals, for lists of many
    /// record ids. PostgreSQL plans a literal list for its values (an index probe per id),
    /// where the generic plan it settles on for a prepared statement of a bound list may
    /// filter every row of the tenant instead (measured on the facts of an SLA scan: 444 ms
    /// against a few). Only values made of ASCII letters, digits, `-` and `_` (the shape of
    /// every id Loopdesk makes) are written in; anything else is bound, so nothing can be
    /// injected. The statement is then not kept prepared: each list is its own text.
    pub fn id_list(&mut self, column: &str, ids: &[String]) -> &mut Self {
        let plain = |id: &String| {
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if ids.len() < 2 || !ids.iter().all(plain) {
            return self.in_list(column, ids);
        }
        let list: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
        self.one_off = true;
        self.push(column)
            .push(" IN (")
            .push(&list.join(", "))
            .push(")")
    }

    /// Appends an integer placeholder.
    pub fn int(&mut self, value: i64) -> &mut Self {
        self.bind(Arg::Int(value))
    }

    /// Appends a double placeholder, or the literal `NULL` for `None`.
    ///
    /// sqlx 0.8.6's `Any` driver sends a NULL double to PostgreSQL typed as `float4` (its
    /// `Null(Double)` maps to `Option<f32>`); the prepared statement then rejects every later
    /// real `f64` in that place. Never binding a NULL double sidesteps it on both backends.
    pub fn float_or_null(&mut self, value: Option<f64>) -> &mut Self {
        match value {
            Some(v) => self.bind(Arg::Float(v)),
            None => self.push("NULL"),
        }
    }

    /// Appends rows of placeholders, `($1, $2), ($3, $4)`, for a multi-row `VALUES`.
    pub fn rows(&mut self, rows: impl IntoIterator<Item = Vec<Arg>>) -> &mut Self {
        for (r, row) in rows.into_iter().enumerate() {
            self.push(if r == 0 { "(" } else { ", (" });
            for (i, arg) in row.into_iter().enumerate() {
                if i > 0 {
                    self.push(", ");
                }
                self.bind(arg);
            }
            self.push(")");
        }
        self
    }

    /// Writes the placeholders as SQLite's anonymous `?` instead of `$N`, for statements with
    /// thousands of them. SQLite takes `$N` (and `?N`) for a *named* parameter, and binding
    /// asks for each parameter's name, a walk of the name list: quadratic in the count. The
    /// builder numbers placeholders in the order they appear, so `?` binds the same values.
    /// Only for SQL that has no `$` of its own.
    pub fn positional_for(&mut self, backend: crate::Backend) -> &mut Self {
        if !backend.positional_placeholders() {
            return self;
        }
        let mut out = String::with_capacity(self.text.len());
        let mut chars = self.text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' {
                out.push('?');
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
            } else {
                out.push(c);
            }
        }
        self.text = out;
        self
    }

    /// [`Sql::positional_for`] the backend `conn` speaks.
    pub fn positional_on(&mut self, conn: &sqlx::AnyConnection) -> &mut Self {
        self.positional_for(crate::Backend::of_connection(conn))
    }

    /// The same statement asked for its plan (`EXPLAIN QUERY PLAN` on SQLite), for tests
    /// that check a hot statement reads by key.
    #[cfg(test)]
    pub(crate) fn explained(&self) -> Sql {
        Sql {
            text: format!("EXPLAIN QUERY PLAN {}", self.text),
            args: self.args.clone(),
            one_off: true,
        }
    }

    /// The statement, ready to run.
    pub fn query(&self) -> sqlx::query::Query<'_, Any, AnyArguments<'_>> {
        self.args
            .iter()
            .fold(sqlx::query::<Any>(&self.text), |q, a| bind!(q, a))
            .persistent(!self.one_off)
    }

    /// The query, ready to run.
    pub fn query_as<T>(&self) -> QueryAs<'_, Any, T, AnyArguments<'_>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        self.args
            .iter()
            .fold(sqlx::query_as::<Any, T>(&self.text), |q, a| bind!(q, a))
            .persistent(!self.one_off)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_go_in_as_literals_and_anything_else_is_bound() {
        let ids = ["a1-b2".to_owned(), "c_3".to_owned()];
        let mut sql = Sql::new("SELECT 1 FROM t WHERE x = ");
        sql.text("tenant").id_list(" AND id", &ids);
        assert_eq!(
            sql.text,
            "SELECT 1 FROM t WHERE x = $1 AND id IN ('a1-b2', 'c_3')"
        );
        assert!(sql.one_off && sql.args.len() == 1);

        let odd = ["a1".to_owned(), "x' OR '1'='1".to_owned()];
        let mut sql = Sql::new("SELECT 1 FROM t WHERE");
        sql.id_list(" id", &odd);
        assert_eq!(sql.text, "SELECT 1 FROM t WHERE id IN ($1, $2)");
        assert!(!sql.one_off && sql.args.len() == 2);
    }

    #[test]
    fn sqlite_gets_anonymous_placeholders_in_the_same_order() {
        let mut sql = Sql::new("INSERT INTO t (a, b) VALUES ");
        sql.rows([
            vec![Arg::Int(1), Arg::Int(2)],
            vec![Arg::Int(3), Arg::Int(4)],
        ])
        .push(" ON CONFLICT DO NOTHING");
        assert_eq!(
            sql.text,
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING"
        );
        let before = sql.text.clone();
        sql.positional_for(crate::Backend::Postgres);
        assert_eq!(sql.text, before, "PostgreSQL keeps $N");
        sql.positional_for(crate::Backend::Sqlite);
        assert_eq!(
            sql.text,
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) ON CONFLICT DO NOTHING"
        );
        assert_eq!(sql.args.len(), 4);
    }
}
