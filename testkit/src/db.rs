//! Fresh databases: a temp SQLite file or a new PostgreSQL database, each with its own temp
//! directory (for logs and the like), dropped afterwards.

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::Connection;

use crate::Backend;

/// The PostgreSQL server used unless told otherwise (trust authentication, user postgres).
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432";

/// The tests' PostgreSQL server: `BATON_TEST_PG_URL`, else [`DEFAULT_PG_URL`].
pub fn pg_admin_url() -> String {
    std::env::var("BATON_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into())
}

/// A fresh database for one test or one bench server, removed on drop.
pub struct TestDb {
    /// What `DATABASE_URL` is set to.
    pub url: String,
    /// `(server URL, database name)` when it is a PostgreSQL database.
    pg: Option<(String, String)>,
    dir: tempfile::TempDir,
}

impl TestDb {
    /// A database for a test, on the server at [`pg_admin_url`]; panics when it cannot be made.
    pub fn new(backend: Backend) -> TestDb {
        TestDb::create(backend, &pg_admin_url(), "baton_test")
            .unwrap_or_else(|e| panic!("a fresh {backend:?} database: {e:#}"))
    }

    /// A database on `backend`; for PostgreSQL a new database named `{prefix}_{uuid}` on the
    /// server at `pg` (a URL without a database name).
    pub fn create(backend: Backend, pg: &str, prefix: &str) -> anyhow::Result<TestDb> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{prefix}-"))
            .tempdir()?;
        match backend {
            Backend::Sqlite => Ok(TestDb {
                url: dir.path().join("baton.db").to_string_lossy().into_owned(),
                pg: None,
                dir,
            }),
            Backend::Postgres => {
                let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
                let mut admin = diesel::PgConnection::establish(&format!("{pg}/postgres"))
                    .map_err(|e| anyhow::anyhow!("connect to PostgreSQL at {pg}: {e}"))?;
                admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
                Ok(TestDb {
                    url: format!("{pg}/{name}"),
                    pg: Some((pg.to_string(), name)),
                    dir,
                })
            }
        }
    }

    /// This database's temp directory (the SQLite file lives in it).
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((pg, name)) = &self.pg {
            if let Ok(mut admin) = diesel::PgConnection::establish(&format!("{pg}/postgres")) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}
