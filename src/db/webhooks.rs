//! Event subscriptions (the n8n Baton Trigger's `/v1/webhooks`), each owned by one API key.

use diesel::prelude::*;

use super::models::WebhookRow;
use super::schema::webhooks;
use super::{now, DbConnection};
use crate::error::ApiError;

pub fn insert(conn: &mut DbConnection, row: &WebhookRow) -> Result<(), ApiError> {
    diesel::insert_into(webhooks::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A key's subscriptions, oldest first.
pub fn list_for_key(
    conn: &mut DbConnection,
    api_key_id: &str,
) -> Result<Vec<WebhookRow>, ApiError> {
    Ok(webhooks::table
        .filter(webhooks::api_key_id.eq(api_key_id))
        .filter(webhooks::deleted_at.is_null())
        .order(webhooks::created_at.asc())
        .load(conn)?)
}

/// Deletes a key's subscription: it receives nothing more and is no longer listed, but is kept
/// (marked) so the deliveries it received stay listed for the key; how many rows changed (0:
/// none of this key's, or already deleted).
pub fn delete_for_key(
    conn: &mut DbConnection,
    id: &str,
    api_key_id: &str,
) -> Result<usize, ApiError> {
    let at = now();
    let n = diesel::update(
        webhooks::table
            .filter(webhooks::id.eq(id))
            .filter(webhooks::api_key_id.eq(api_key_id))
            .filter(webhooks::deleted_at.is_null()),
    )
    .set(webhooks::deleted_at.eq(Some(at)))
    .execute(conn)?;
    // Stop sending to it, keeping the time a 410 may already have disabled it at.
    diesel::update(
        webhooks::table
            .filter(webhooks::id.eq(id))
            .filter(webhooks::disabled_at.is_null()),
    )
    .set(webhooks::disabled_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n)
}

/// Gives a key's subscription `new_secret`, keeping the old one valid for 24 hours; `None` when
/// the key has no such subscription.
pub fn rotate_secret(
    conn: &mut DbConnection,
    id: &str,
    api_key_id: &str,
    new_secret: String,
) -> Result<Option<WebhookRow>, ApiError> {
    let Some(current) = webhooks::table
        .filter(webhooks::id.eq(id))
        .filter(webhooks::api_key_id.eq(api_key_id))
        .filter(webhooks::deleted_at.is_null())
        .first::<WebhookRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let at = now();
    diesel::update(webhooks::table.find(id))
        .set((
            webhooks::secret.eq(new_secret),
            webhooks::previous_secret.eq(Some(current.secret)),
            webhooks::previous_secret_expires_at.eq(Some(at + chrono::Duration::hours(24))),
        ))
        .execute(conn)?;
    Ok(Some(webhooks::table.find(id).first::<WebhookRow>(conn)?))
}
