//! Statements with a fixed SQL text, run on the backend's own connection, so that both SQLite
//! and PostgreSQL keep them prepared.
//!
//! Why this exists: diesel caches a prepared statement only when its SQL cannot vary, and it
//! never treats an UPDATE, an upsert or an INSERT with optional values as such (a changeset or
//! an `Option` may drop a column). Through the [`DbConnection`] `MultiConnection` every query is
//! also serialised to SQL text again on each use. On the hot paths (the turn gate, locking a
//! session, appending a message) that meant parsing and planning every statement on every
//! request; the profile in docs/PERFORMANCE.md showed it as the largest cost. A [`Fixed`]
//! statement is a constant SQL string whose `?` marks are filled with typed binds in order
//! (each backend's own placeholder syntax is emitted), identified by a marker type so the cache
//! key is a type id, and executed on the inner `SqliteConnection` / `PgConnection`.

use std::marker::PhantomData;

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::LoadQuery;
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Nullable, Text, Timestamp, Untyped};
use diesel::{PgConnection, QueryResult, RunQueryDsl, SqliteConnection};

use super::DbConnection;

/// One value bound to a `?` of a [`Fixed`] statement.
#[derive(Clone, Copy, Debug)]
pub enum Bind<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Int(i64),
    Time(NaiveDateTime),
    OptTime(Option<NaiveDateTime>),
}

/// A statement whose SQL never changes. `Id` is a marker type naming it (the prepared-statement
/// cache's key), `ST` the SQL types of the rows it returns (`Untyped` when it returns none).
pub struct Fixed<'a, Id, ST = Untyped> {
    sql: &'static str,
    binds: &'a [Bind<'a>],
    marker: PhantomData<(Id, ST)>,
}

impl<'a, Id: 'static, ST: 'static> Fixed<'a, Id, ST> {
    /// `sql` with one `?` per bind, in order. A literal `?` cannot appear in `sql`.
    pub fn new(sql: &'static str, binds: &'a [Bind<'a>]) -> Self {
        debug_assert_eq!(
            sql.matches('?').count(),
            binds.len(),
            "binds do not match the placeholders of {sql}"
        );
        Fixed {
            sql,
            binds,
            marker: PhantomData,
        }
    }

    /// Runs the statement; the number of rows it changed.
    pub fn execute(self, conn: &mut DbConnection) -> QueryResult<usize> {
        match conn {
            DbConnection::Sqlite(c) => RunQueryDsl::execute(self, c),
            DbConnection::Postgresql(c) => RunQueryDsl::execute(self, c),
        }
    }
}

impl<'a, Id: 'static, ST: 'static> Fixed<'a, Id, ST> {
    /// The one row the statement returns (`NotFound` when it returns none).
    pub fn get_result<U>(self, conn: &mut DbConnection) -> QueryResult<U>
    where
        Self: LoadQuery<'a, SqliteConnection, U> + LoadQuery<'a, PgConnection, U>,
    {
        match conn {
            DbConnection::Sqlite(c) => RunQueryDsl::get_result(self, c),
            DbConnection::Postgresql(c) => RunQueryDsl::get_result(self, c),
        }
    }
}

impl<Id: 'static, ST: 'static> QueryId for Fixed<'_, Id, ST> {
    type QueryId = Id;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Id, ST> Query for Fixed<'_, Id, ST> {
    type SqlType = ST;
}

impl<Id, ST, Conn> RunQueryDsl<Conn> for Fixed<'_, Id, ST> {}

impl<Id, ST, DB> QueryFragment<DB> for Fixed<'_, Id, ST>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<BigInt> + HasSqlType<Timestamp>,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let mut parts = self.sql.split('?');
        out.push_sql(parts.next().unwrap_or_default());
        let mut binds = self.binds.iter();
        for part in parts {
            let bind = binds.next().ok_or_else(|| {
                diesel::result::Error::QueryBuilderError(
                    format!("a placeholder without a bind in {}", self.sql).into(),
                )
            })?;
            match bind {
                Bind::Text(v) => out.push_bind_param::<Text, str>(v)?,
                Bind::OptText(v) => out.push_bind_param::<Nullable<Text>, _>(v)?,
                Bind::Int(v) => out.push_bind_param::<BigInt, i64>(v)?,
                Bind::Time(v) => out.push_bind_param::<Timestamp, NaiveDateTime>(v)?,
                Bind::OptTime(v) => out.push_bind_param::<Nullable<Timestamp>, _>(v)?,
            }
            out.push_sql(part);
        }
        Ok(())
    }
}

/// PostgreSQL statements whose binds a [`Bind`] cannot carry (arrays): writes `sql`, calling
/// `bind(k, out)` at its `k`th `?` (diesel numbers them `$1`, `$2`, …). `bind` answers `false`
/// when the statement has no `k`th bind, which is an error naming `name`.
pub fn walk_marked<'b>(
    sql: &'static str,
    name: &str,
    out: &mut AstPass<'_, 'b, diesel::pg::Pg>,
    mut bind: impl FnMut(usize, &mut AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<bool>,
) -> QueryResult<()> {
    let mut parts = sql.split('?');
    out.push_sql(parts.next().unwrap_or_default());
    for (k, part) in parts.enumerate() {
        if !bind(k, out)? {
            return Err(diesel::result::Error::QueryBuilderError(
                format!("more placeholders than binds in {name}").into(),
            ));
        }
        out.push_sql(part);
    }
    Ok(())
}
