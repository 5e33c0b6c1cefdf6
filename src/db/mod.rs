//! Storage: the connection enum over SQLite and PostgreSQL, the pool, embedded migrations, and
//! the `Db` handle through which every query runs off the async executor.
//!
//! Portable diesel is the default. Backend-specific SQL lives only inside an explicit
//! `match` on [`DbConnection`] variants, in this folder.

pub mod accounts;
pub mod alerts;
pub mod approvals;
pub mod audit;
pub mod backfill;
pub mod backup;
pub mod batch;
pub mod canned;
pub mod customers;
pub mod erasure;
pub mod escalation;
pub mod events;
pub mod fixed;
pub mod insights;
pub mod models;
pub mod outbox;
pub mod queue;
pub mod reads;
pub mod retention;
pub mod routing;
pub mod schema;
pub mod search;
pub mod sessions;
pub mod signals;
pub mod staff;
pub mod takeovers;
pub mod templates;
pub mod texts;
pub mod webhooks;
pub mod widgets;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::{DatabaseUrl, DbSettings};
use crate::error::{ApiError, Kind};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One live connection to whichever backend `DATABASE_URL` chose.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which backend a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Opens connections for the pool; SQLite connections get their pragmas here, once each.
#[derive(Clone, Debug)]
pub struct Manager {
    /// For PostgreSQL with libpq's `connect_timeout` added (see [`bounded_connect`]).
    url: DatabaseUrl,
    /// SQLite's pragmas for each new connection: the busy timeout and the page limit.
    sqlite_pragmas: String,
    /// Raised after a server error on any connection: every connection is tested again before
    /// its next use, so a database restart costs the request that found it, not one per
    /// connection in the pool.
    epoch: Arc<AtomicU64>,
}

/// A connection checked out of the pool shows this long after its last use that it works.
const PROVEN_FOR: Duration = Duration::from_secs(1);

/// A pooled connection, with what the pool needs to skip the liveness query on checkout.
pub struct Pooled {
    conn: DbConnection,
    /// When it was last handed back.
    returned_at: Instant,
    /// The manager's epoch when it was last known to work.
    epoch: u64,
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Pooled, Self::Error> {
        let conn = match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(path)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the single writer; NORMAL sync is durable across a
                // process crash (only an OS crash can lose the last commits).
                conn.batch_execute(&self.sqlite_pragmas)
                    .map_err(diesel::r2d2::Error::QueryError)?;
                DbConnection::Sqlite(conn)
            }
            DatabaseUrl::Postgres(url) => diesel::PgConnection::establish(url)
                .map(DbConnection::Postgresql)
                .map_err(diesel::r2d2::Error::ConnectionError)?,
        };
        Ok(Pooled {
            conn,
            returned_at: Instant::now(),
            epoch: self.epoch.load(Ordering::Acquire),
        })
    }

    /// Runs on every checkout. A connection handed back moments ago, with no server error
    /// anywhere since, is known to work: asking the server again cost a round trip per request
    /// (on PostgreSQL one of the turn gate's five). One idle for longer, or after a server
    /// error, is tested with a query (a PostgreSQL restart breaks them all), and the pool
    /// replaces it when that fails.
    fn is_valid(&self, c: &mut Pooled) -> Result<(), Self::Error> {
        let epoch = self.epoch.load(Ordering::Acquire);
        if c.epoch == epoch && c.returned_at.elapsed() < PROVEN_FOR {
            return Ok(());
        }
        c.conn
            .batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)?;
        c.epoch = epoch;
        Ok(())
    }

    /// Runs when a connection is handed back: notes the time for [`Manager::is_valid`]. One
    /// whose transaction could not even be rolled back (its server went away mid-transaction)
    /// is dropped rather than kept.
    fn has_broken(&self, c: &mut Pooled) -> bool {
        c.returned_at = Instant::now();
        diesel::r2d2::R2D2Connection::is_broken(&mut c.conn)
    }
}

/// The shared database handle: a pool plus, for SQLite, the single-writer lock.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
    /// SQLite admits one writer at a time; queueing writers here instead of inside SQLite avoids
    /// busy-retry storms and lock-upgrade deadlocks between deferred transactions.
    write_lock: Option<Arc<Mutex<()>>>,
    /// The pool manager's epoch (see [`Manager::is_valid`]).
    epoch: Arc<AtomicU64>,
    /// SQLite's group commit for [`Db::write_grouped`].
    batcher: Option<Arc<batch::Batcher>>,
    /// PostgreSQL's group commit for [`Db::record_turn_grouped`].
    turns: Option<Arc<batch::TurnBatcher>>,
    /// Pool waits and failed operations, for `/metrics`.
    stats: Arc<crate::metrics::DbStats>,
    /// Whether the database answers, as the pool and the writes last saw it.
    reach: Arc<Reach>,
    /// The longest wait for a pooled connection (`BATON_DB_TIMEOUT`).
    timeout: Duration,
    /// SQLite: how long a write waits for another process's lock (`BATON_DB_BUSY_TIMEOUT`).
    busy_timeout: Duration,
}

/// While the pool cannot open a connection, a checkout waits this long for one (a connection
/// handed back, or the pool's next attempt succeeding) before the request is answered 503.
const DOWN_WAIT: Duration = Duration::from_millis(250);

/// `/readyz` waits at most this long for a connection: a probe must answer within its own
/// timeout (often 1 s), ready or not.
const READY_WAIT: Duration = Duration::from_millis(800);

/// After a write found SQLite's write lock held by another process for the whole busy timeout,
/// writes wait at most [`LOCK_PROBE`] for it during this long (a lock still held is a 503 at
/// once; a released one lets them through). Without it, writers queued behind one another (or
/// in one group commit) would each wait out the busy timeout.
const LOCK_BACKOFF: Duration = Duration::from_secs(1);

/// How long a write waits for SQLite's lock during [`LOCK_BACKOFF`].
const LOCK_PROBE: Duration = Duration::from_millis(100);

/// What the pool and the writes have seen of the database's health.
#[derive(Debug)]
struct Reach {
    /// A new connection failed to open and none has opened since.
    down: AtomicBool,
    /// SQLite: writes are refused at once until this many milliseconds after `origin`.
    locked_until: AtomicU64,
    origin: Instant,
}

impl Reach {
    fn new() -> Reach {
        Reach {
            down: AtomicBool::new(false),
            locked_until: AtomicU64::new(0),
            origin: Instant::now(),
        }
    }

    fn millis(&self) -> u64 {
        self.origin.elapsed().as_millis() as u64
    }
}

/// Notes failed connection attempts (the pool retries them on its own, backing off to half of
/// `BATON_DB_TIMEOUT`); logs once when the database goes away, not once per attempt.
#[derive(Debug)]
struct ConnectErrors(Arc<Reach>);

impl diesel::r2d2::HandleError<diesel::r2d2::Error> for ConnectErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        match error {
            diesel::r2d2::Error::ConnectionError(e) => {
                if !self.0.down.swap(true, Ordering::AcqRel) {
                    tracing::error!(error = %e, "database unreachable; requests are answered 503 until it answers again");
                }
            }
            // A pooled connection that failed its check is replaced; nothing is down yet.
            other => tracing::debug!(error = %other, "a pooled connection failed its check"),
        }
    }
}

/// Notes the first connection opened after the database was unreachable.
#[derive(Debug)]
struct ConnectEvents(Arc<Reach>);

impl diesel::r2d2::HandleEvent for ConnectEvents {
    fn handle_acquire(&self, _: diesel::r2d2::event::AcquireEvent) {
        if self.0.down.swap(false, Ordering::AcqRel) {
            tracing::info!("database reachable again");
        }
    }
}

/// A PostgreSQL URL with libpq's `connect_timeout` (whole seconds, at least 2) unless the
/// operator set one: a server that does not answer must not hold a pool thread for ever.
fn bounded_connect(url: &str, timeout: Duration) -> String {
    if url.contains("connect_timeout=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}connect_timeout={}",
        timeout.as_secs().max(2)
    )
}

impl Db {
    /// Connects, applies pending migrations, and returns the pooled handle, with the default
    /// waits (see [`DbSettings`]).
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> anyhow::Result<Db> {
        Db::connect_with(url, &DbSettings::with_pool_size(pool_size))
    }

    /// [`Db::connect`] with the operator's settings.
    pub fn connect_with(url: &DatabaseUrl, settings: &DbSettings) -> anyhow::Result<Db> {
        let backend = match url {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        };
        migrate(url)?;
        let epoch = Arc::new(AtomicU64::new(0));
        let reach = Arc::new(Reach::new());
        // WAL lets readers run beside the single writer. FULL sync (the default) flushes the
        // log at every commit, so an acknowledged turn survives a crash of the machine too; the
        // group commit shares that flush among the turns that arrive together.
        let mut sqlite_pragmas = format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; \
             PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON;",
            settings.sqlite_sync.pragma(),
            settings.busy_timeout.as_millis()
        );
        if let Some(pages) = settings.sqlite_max_pages {
            sqlite_pragmas.push_str(&format!(" PRAGMA max_page_count = {pages};"));
        }
        let manager_url = match url {
            DatabaseUrl::Postgres(u) => DatabaseUrl::Postgres(bounded_connect(u, settings.timeout)),
            sqlite => sqlite.clone(),
        };
        let pool = Pool::builder()
            .max_size(settings.pool_size)
            .connection_timeout(settings.timeout)
            .error_handler(Box::new(ConnectErrors(reach.clone())))
            .event_handler(Box::new(ConnectEvents(reach.clone())))
            .build(Manager {
                url: manager_url,
                sqlite_pragmas,
                epoch: epoch.clone(),
            })
            .map_err(|e| anyhow::anyhow!("cannot open the database pool: {e}"))?;
        let write_lock = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        let batcher = (backend == Backend::Sqlite).then(Default::default);
        let turns = (backend == Backend::Postgres)
            .then(|| Arc::new(batch::TurnBatcher::new(settings.pool_size)));
        Ok(Db {
            pool,
            backend,
            write_lock,
            epoch,
            batcher,
            turns,
            stats: Default::default(),
            reach,
            timeout: settings.timeout,
            busy_timeout: settings.busy_timeout,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A pooled connection, for blocking code that already runs off the executor. Waits at most
    /// `BATON_DB_TIMEOUT`, or briefly while the database is known to be unreachable; then the
    /// answer is 503 `database-unavailable`.
    pub fn conn(&self) -> Result<PooledConnection<Manager>, ApiError> {
        let wait = if self.reach.down.load(Ordering::Acquire) {
            DOWN_WAIT
        } else {
            self.timeout
        };
        self.conn_within(wait)
    }

    fn conn_within(&self, wait: Duration) -> Result<PooledConnection<Manager>, ApiError> {
        let asked = Instant::now();
        let conn = self.pool.get_timeout(wait);
        self.stats.pool_wait.observe(asked.elapsed());
        conn.map_err(|e| {
            self.stats.failed();
            ApiError::database_unavailable(format!("database: no connection within {wait:?}: {e}"))
        })
    }

    /// Whether the pool could not open a connection lately (the database is unreachable).
    pub fn unreachable(&self) -> bool {
        self.reach.down.load(Ordering::Acquire)
    }

    /// Pool waits and failed operations so far.
    pub fn stats(&self) -> &crate::metrics::DbStats {
        &self.stats
    }

    /// Pool statistics: (connections, idle connections).
    pub fn pool_state(&self) -> (u32, u32) {
        let s = self.pool.state();
        (s.connections, s.idle_connections)
    }

    /// Runs `f` on a pooled connection on the blocking thread pool (reads; no transaction).
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.clone();
        // Log lines written by `f` belong to the request (or pass) that ran it.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = db.conn()?;
            let result = f(&mut conn);
            db.note_failure(&result);
            result
        })
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("database task failed: {e}")))?
    }

    /// Runs `f` inside one write transaction on the blocking thread pool.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| db.write_blocking(f)))
            .await
            .map_err(|e| ApiError::internal(anyhow::anyhow!("database task failed: {e}")))?
    }

    /// Like [`Db::write`], but on SQLite the write shares one transaction with the writes queued
    /// beside it (group commit, see [`batch`]): `f` runs in a savepoint, and its result is
    /// returned once that transaction committed. For short, hot writes (the turn gate).
    pub async fn write_grouped<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        match &self.batcher {
            Some(batcher) => {
                // A group must not wait out SQLite's busy timeout once per write it carries.
                let db = self.clone();
                let f = move |conn: &mut DbConnection| db.lock_guarded(conn, f);
                batch::Batcher::write(self, batcher, f).await
            }
            None => self.write(f).await,
        }
    }

    /// Records a turn through the turn gate's group commit: on SQLite as a savepoint of a shared
    /// transaction; on PostgreSQL in one statement for the plain turns queued together (see
    /// [`batch`]), and through the full path of `sessions::record_turn` for a staff turn or a
    /// turn the group hands back (a new status, a refusal, a repeated id). Resolves once the
    /// turn's transaction committed.
    pub async fn record_turn_at_gate(
        &self,
        turn: sessions::PendingTurn,
        actor: String,
    ) -> Result<sessions::TurnOutcome, ApiError> {
        let full = |p: sessions::PendingTurn| {
            move |conn: &mut DbConnection| {
                sessions::record_turn(conn, &p.id, &p.fields, p.turn, &actor)
            }
        };
        match &self.turns {
            _ if self.backend() == Backend::Sqlite => self.write_grouped(full(turn)).await,
            Some(turns) if !matches!(turn.turn.sender, crate::domain::types::Sender::Staff(_)) => {
                match batch::TurnBatcher::record(self, turns, turn).await? {
                    batch::Grouped::Recorded(outcome) => Ok(outcome),
                    batch::Grouped::FullPath(p, held) => {
                        let outcome = self.write(full(p)).await;
                        drop(held);
                        outcome
                    }
                }
            }
            _ => self.write(full(turn)).await,
        }
    }

    /// The turn gate's group commit so far: (transactions, turns they carried).
    pub fn group_commit_stats(&self) -> Option<(u64, u64)> {
        self.batcher
            .as_ref()
            .map(|b| b.stats())
            .or_else(|| self.turns.as_ref().map(|b| b.stats()))
    }

    /// The blocking form of [`Db::write`], for the CLI and background workers' blocking code.
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError>,
    {
        let mut conn = self.conn()?;
        let _guard = self
            .write_lock
            .as_ref()
            .map(|lock| lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        let result = self.lock_guarded(&mut conn.conn, |c| {
            c.transaction(|c| {
                let out = f(c)?;
                search::index_pending(c)?;
                Ok(out)
            })
        });
        self.note_failure(&result);
        result
    }

    /// SQLite: runs `f`; while another process was lately found holding the write lock (within
    /// [`LOCK_BACKOFF`]), `f` waits at most [`LOCK_PROBE`] for it instead of the whole busy
    /// timeout, so a lock still held is a 503 at once and a released one lets the write through.
    fn lock_guarded<T>(
        &self,
        conn: &mut DbConnection,
        f: impl FnOnce(&mut DbConnection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let until = self.reach.locked_until.load(Ordering::Acquire);
        let probing = self.backend == Backend::Sqlite && until > 0 && self.reach.millis() < until;
        let busy = |c: &mut DbConnection, wait: Duration| {
            c.batch_execute(&format!("PRAGMA busy_timeout = {};", wait.as_millis()))
        };
        if probing {
            busy(conn, LOCK_PROBE)?;
        }
        let result = f(conn);
        if probing {
            // Back to the operator's wait; a connection that cannot be told is not reused.
            if let Err(e) = busy(conn, self.busy_timeout) {
                tracing::warn!(error = %e, "cannot restore SQLite's busy timeout");
                self.epoch.fetch_add(1, Ordering::AcqRel);
            }
        }
        self.note_locked(&result);
        result
    }

    /// SQLite: after a write found the lock held (it waited the whole busy timeout), the next
    /// writes for [`LOCK_BACKOFF`] wait only [`LOCK_PROBE`] for it.
    fn note_locked<T>(&self, result: &Result<T, ApiError>) {
        if self.backend == Backend::Sqlite
            && result
                .as_ref()
                .is_err_and(|e| e.kind == Kind::DatabaseUnavailable)
        {
            let until = self.reach.millis() + LOCK_BACKOFF.as_millis() as u64;
            self.reach.locked_until.fetch_max(until, Ordering::AcqRel);
        }
    }

    /// After a server error, every pooled connection is tested before its next use.
    fn note_failure<T>(&self, result: &Result<T, ApiError>) {
        if result
            .as_ref()
            .is_err_and(|e| e.kind.status().is_server_error())
        {
            self.stats.failed();
            self.epoch.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Checks that the database answers (for `/readyz`), within [`READY_WAIT`] for a
    /// connection.
    pub async fn ping(&self) -> Result<(), ApiError> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let wait = READY_WAIT.min(db.timeout);
            let mut conn = db.conn_within(wait)?;
            let result = conn.batch_execute("SELECT 1").map_err(ApiError::from);
            db.note_failure(&result);
            result
        })
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("database task failed: {e}")))?
    }
}

/// Creates a new SQLite file readable by its owner only (0600): it holds signing secrets.
/// SQLite gives its `-wal` and `-shm` files the database file's permissions. An existing file
/// keeps the permissions its operator chose.
fn create_private(path: &str) -> anyhow::Result<()> {
    if path.starts_with(':') || path.starts_with("file:") || std::path::Path::new(path).exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another process created it first: it is theirs to have made.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(anyhow::anyhow!(
            "cannot create SQLite database {path:?}: {e}"
        )),
    }
}

/// Applies the embedded migrations of the chosen backend.
pub fn migrate(url: &DatabaseUrl) -> anyhow::Result<Vec<String>> {
    let applied = match url {
        DatabaseUrl::Sqlite(path) => {
            create_private(path)?;
            let mut conn = diesel::SqliteConnection::establish(path)
                .map_err(|e| anyhow::anyhow!("cannot open SQLite database {path:?}: {e}"))?;
            conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000;")?;
            conn.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?
                .iter()
                .map(|v| v.to_string())
                .collect()
        }
        DatabaseUrl::Postgres(url) => {
            let mut conn = diesel::PgConnection::establish(url)
                .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {e}"))?;
            // Two replicas starting together must not both run the same migration.
            conn.batch_execute("SELECT pg_advisory_lock(727274)")?;
            let result = conn
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(|v| v.to_string()).collect::<Vec<_>>())
                .map_err(|e| anyhow::anyhow!("migrations failed: {e}"));
            conn.batch_execute("SELECT pg_advisory_unlock(727274)")?;
            result?
        }
    };
    Ok(applied)
}

/// The current time as stored: UTC, truncated to microseconds so both backends round-trip it.
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SqliteSync;
    use diesel::sql_types::Integer;

    #[derive(QueryableByName)]
    struct Synchronous {
        #[diesel(sql_type = Integer)]
        synchronous: i32,
    }

    /// `PRAGMA synchronous` as every pooled connection sees it, for a new database.
    fn synchronous(sync: Option<SqliteSync>) -> Vec<i32> {
        let dir = std::env::temp_dir().join(format!("baton-sync-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = DatabaseUrl::Sqlite(dir.join("baton.db").to_string_lossy().into_owned());
        let mut settings = DbSettings::with_pool_size(3);
        if let Some(sync) = sync {
            settings.sqlite_sync = sync;
        }
        let db = Db::connect_with(&url, &settings).unwrap();
        // Three connections held at once: each was set up, not only the first.
        let mut held: Vec<_> = (0..3).map(|_| db.conn().unwrap()).collect();
        let seen = held
            .iter_mut()
            .map(|conn| match &mut ***conn {
                DbConnection::Sqlite(c) => {
                    diesel::sql_query("PRAGMA synchronous")
                        .get_result::<Synchronous>(c)
                        .unwrap()
                        .synchronous
                }
                DbConnection::Postgresql(_) => unreachable!("an SQLite URL"),
            })
            .collect();
        drop(held);
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
        seen
    }

    #[test]
    fn sqlite_commits_reach_the_disk_before_anyone_is_answered_unless_told_otherwise() {
        // SQLite's values: 1 NORMAL, 2 FULL.
        assert_eq!(synchronous(None), vec![2, 2, 2]);
        assert_eq!(synchronous(Some(SqliteSync::Full)), vec![2, 2, 2]);
        assert_eq!(synchronous(Some(SqliteSync::Normal)), vec![1, 1, 1]);
    }
}
