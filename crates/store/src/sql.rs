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
}

impl Sql {
    /// Starts a query.
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
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

    /// The statement, ready to run.
    pub fn query(&self) -> sqlx::query::Query<'_, Any, AnyArguments<'_>> {
        self.args
            .iter()
            .fold(sqlx::query::<Any>(&self.text), |q, a| bind!(q, a))
    }

    /// The query, ready to run.
    pub fn query_as<T>(&self) -> QueryAs<'_, Any, T, AnyArguments<'_>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        self.args
            .iter()
            .fold(sqlx::query_as::<Any, T>(&self.text), |q, a| bind!(q, a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
