//! `baton backup`: a consistent copy of a live SQLite database. PostgreSQL is backed up with its
//! own tools (`pg_dump`, `pg_restore`; docs/OPERATIONS.md).

use crate::config::DatabaseUrl;

/// Copies a live SQLite database with `VACUUM INTO`: one read transaction, so the copy is the
/// database as of one commit, while writers go on (WAL). The copy is created 0600 before SQLite
/// fills it (it holds signing secrets). VACUUM may renumber the rows of `messages`, whose rowids
/// key the full-text index, so the copy's index is rebuilt. Returns the copy's size in bytes.
pub fn copy_sqlite(url: &DatabaseUrl, path: &std::path::Path) -> anyhow::Result<u64> {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl};
    let source = match url {
        DatabaseUrl::Sqlite(source) => source,
        DatabaseUrl::Postgres(_) => anyhow::bail!(
            "baton backup copies a SQLite database; for PostgreSQL use its own tools: \
             pg_dump -Fc -h HOST -U USER -d DATABASE -f baton.dump, and to restore \
             pg_restore -h HOST -U USER -d NEW_DATABASE baton.dump (see docs/OPERATIONS.md)"
        ),
    };
    if !std::path::Path::new(source).exists() {
        anyhow::bail!("no SQLite database at {source:?} (DATABASE_URL)");
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    let dest = path.to_string_lossy().into_owned();
    let copied = (|| -> anyhow::Result<()> {
        let mut conn = diesel::SqliteConnection::establish(source)?;
        conn.batch_execute("PRAGMA busy_timeout = 10000;")?;
        diesel::sql_query("VACUUM INTO ?")
            .bind::<diesel::sql_types::Text, _>(&dest)
            .execute(&mut conn)?;
        let mut copy = diesel::SqliteConnection::establish(&dest)?;
        // The rebuild indexes every message, those a backfill had not reached yet included (and
        // any still noted for indexing: the copy's rowids may differ from the original's).
        copy.batch_execute(
            "INSERT INTO message_search(message_search) VALUES ('rebuild');
             DELETE FROM message_search_pending;
             UPDATE backfills SET after_rowid = until_rowid, finished_at = CURRENT_TIMESTAMP
               WHERE name = 'message_search' AND finished_at IS NULL;",
        )?;
        Ok(())
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(path);
        anyhow::bail!("backup failed: {e:#}");
    }
    Ok(std::fs::metadata(path)?.len())
}
