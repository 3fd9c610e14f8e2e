//! Several write statements that must happen together, with one numbered parameter list: the
//! same SQL runs on both databases, but SQLite gets the whole group in one round trip to its
//! worker thread (its driver runs the statements in turn, each binding the `$n` it names),
//! inside a savepoint that undoes the group if a statement fails; PostgreSQL gets the statements
//! one by one, each renumbered to the parameters it uses (it rejects unused ones).
//!
//! Round trips to sqlx-sqlite's worker thread are most of what a submit costs the single
//! SQLite writer, so this is what lets one writer keep up with many annotators.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool};

/// One parameter value.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    I64(i64),
    F64(f64),
    Bool(bool),
    Text(String),
    OptText(Option<String>),
    OptBool(Option<bool>),
}

/// Statements and the parameters they share (`$1` is `args[0]`).
#[derive(Debug)]
pub(crate) struct Group<'a> {
    pub statements: &'a [&'a str],
    pub args: Vec<Arg>,
}

impl Group<'_> {
    /// Runs every statement or, on the first failure, none (the error is the statement's).
    pub(crate) async fn run(&self, conn: &mut AnyConnection, sqlite: bool) -> sqlx::Result<()> {
        if sqlite {
            let sql = format!("SAVEPOINT grp; {}; RELEASE grp", self.statements.join("; "));
            let outcome = bind_all(sqlx::query(&sql), &self.args).execute(&mut *conn).await;
            if let Err(e) = outcome {
                // What ran before the failing statement is undone; if even that fails the
                // transaction is gone, which the writer notices.
                let _ = sqlx::query("ROLLBACK TO grp; RELEASE grp").execute(&mut *conn).await;
                return Err(e);
            }
            return Ok(());
        }
        // PostgreSQL: the caller's transaction makes the group all or nothing.
        for statement in self.statements {
            let (sql, used) = renumber(statement);
            let args: Vec<Arg> = used.iter().map(|&n| self.args[n - 1].clone()).collect();
            bind_all(sqlx::query(&sql), &args).execute(&mut *conn).await?;
        }
        Ok(())
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

pub(super) fn bind_all<'q>(mut query: AnyQuery<'q>, args: &[Arg]) -> AnyQuery<'q> {
    for arg in args {
        query = match arg.clone() {
            Arg::I64(v) => query.bind(v),
            Arg::F64(v) => query.bind(v),
            Arg::Bool(v) => query.bind(v),
            Arg::Text(v) => query.bind(v),
            Arg::OptText(v) => query.bind(v),
            Arg::OptBool(v) => query.bind(v),
        };
    }
    query
}

/// `sql` with its `$n` placeholders numbered `$1, $2, …` in order of first use, and the
/// original numbers in that order. Our statements have no `$` inside string literals.
fn renumber(sql: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(sql.len());
    let mut used: Vec<usize> = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
        match rest[at + 1..at + 1 + digits].parse::<usize>() {
            Ok(n) if n > 0 => {
                let position = used.iter().position(|&u| u == n).unwrap_or_else(|| {
                    used.push(n);
                    used.len() - 1
                });
                out.push_str(&format!("${}", position + 1));
            }
            _ => out.push_str(&rest[at..at + 1 + digits]),
        }
        rest = &rest[at + 1 + digits..];
    }
    out.push_str(rest);
    (out, used)
}

/// A statement under construction: parameters are numbered as they are bound.
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Sql {
        Sql { text: text.to_string(), args: Vec::new() }
    }

    pub(crate) fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Binds `arg` and returns its placeholder.
    pub(crate) fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    pub(crate) async fn fetch_all(&self, pool: &AnyPool) -> sqlx::Result<Vec<AnyRow>> {
        bind_all(sqlx::query(&self.text), &self.args).fetch_all(pool).await
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Acquire;

    use super::{renumber, Arg, Group};

    #[tokio::test]
    async fn a_failing_statement_undoes_its_group_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::scratch_sqlite(dir.path()).await;
        let mut conn = pool.acquire().await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        let statements = ["INSERT INTO t (id, s) VALUES ($1, $3)", "INSERT INTO t (id, s) VALUES ($2, $3)"];
        let group = |a: i64, b: i64| Group {
            statements: &statements,
            args: vec![Arg::I64(a), Arg::I64(b), Arg::Text("x".into())],
        };
        group(1, 2).run(&mut tx, true).await.unwrap();
        // 3 goes in, then 1 collides: the group's 3 is undone, the earlier group stays.
        assert!(group(3, 1).run(&mut tx, true).await.is_err());
        group(4, 5).run(&mut tx, true).await.unwrap();
        tx.commit().await.unwrap();
        drop(conn);
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM t ORDER BY id").fetch_all(&pool).await.unwrap();
        assert_eq!(ids, [1, 2, 4, 5]);
    }

    #[test]
    fn placeholders_are_renumbered_in_order_of_first_use() {
        assert_eq!(
            renumber("UPDATE t SET a = $4 WHERE b = $2 AND c = $4 AND d = $12"),
            ("UPDATE t SET a = $1 WHERE b = $2 AND c = $1 AND d = $3".to_string(), vec![4, 2, 12])
        );
        assert_eq!(renumber("SELECT 1"), ("SELECT 1".to_string(), vec![]));
        assert_eq!(renumber("a $ b $0"), ("a $ b $0".to_string(), vec![]));
    }
}
