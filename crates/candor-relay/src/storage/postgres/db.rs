//! One pooled connection to PostgreSQL, with the statements it has prepared.
//!
//! The `postgres` crate prepares a statement given as text again on every
//! call: a round trip to the server before the one that runs it. Every
//! query here is one of a few dozen fixed texts, so each connection
//! prepares each text once and keeps it, and a call costs one round trip.
//! A transaction is `BEGIN` and `COMMIT` on the same connection (see
//! `PostgresStorage::write`), so the same statements serve reads and writes.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, Row, Statement};

use super::DatabaseLink;

/// Distinct statement texts kept per connection, at most; past it the
/// cache starts afresh (the relay has far fewer, so this only bounds a
/// mistake).
const MAX_STATEMENTS: usize = 256;

pub(super) struct Db {
    client: Client,
    statements: HashMap<String, Statement>,
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Db {
    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        if self.statements.len() >= MAX_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    pub(super) fn query(
        &mut self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query(&statement, params)
    }

    pub(super) fn query_one(
        &mut self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Row, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query_one(&statement, params)
    }

    pub(super) fn query_opt(
        &mut self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Option<Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query_opt(&statement, params)
    }

    pub(super) fn execute(
        &mut self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<u64, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.execute(&statement, params)
    }

    /// Runs statements with no parameters, unprepared (`BEGIN`, `COMMIT`).
    pub(super) fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.client.batch_execute(sql)
    }
}

/// Makes the pool's connections.
pub(super) struct Manager {
    pub(super) link: DatabaseLink,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Db;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Db, postgres::Error> {
        Ok(Db {
            client: self.link.connect()?,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, db: &mut Db) -> Result<(), postgres::Error> {
        db.client.simple_query("").map(drop)
    }

    fn has_broken(&self, db: &mut Db) -> bool {
        db.client.is_closed()
    }
}
