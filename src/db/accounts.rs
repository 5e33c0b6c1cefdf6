//! API keys, teams, reviewers and sign-in tokens.

use diesel::prelude::*;

use super::models::{ApiKeyRow, ReviewerRow, TeamRow};
use super::schema::{api_keys, reviewer_tokens, reviewers, team_members, teams};
use super::{now, DbConnection};
use crate::auth;
use crate::domain::types::RecordId;
use crate::error::ApiError;

/// A created API key: the stored row and the key itself (shown once).
pub struct CreatedKey {
    pub row: ApiKeyRow,
    pub key: String,
}

pub fn create_api_key(conn: &mut DbConnection, name: &str) -> Result<CreatedKey, ApiError> {
    let key = auth::generate_api_key();
    let row = ApiKeyRow {
        id: RecordId::new().to_string(),
        name: name.to_string(),
        key_hash: auth::token_digest(&key),
        signing_secret: auth::generate_signing_secret(),
        created_at: now(),
        revoked_at: None,
    };
    diesel::insert_into(api_keys::table)
        .values(&row)
        .execute(conn)?;
    Ok(CreatedKey { row, key })
}

/// Finds a team by name, creating it when missing.
pub fn ensure_team(conn: &mut DbConnection, name: &str) -> Result<TeamRow, ApiError> {
    if let Some(t) = find_team(conn, name)? {
        return Ok(t);
    }
    let row = TeamRow {
        id: RecordId::new().to_string(),
        name: name.to_string(),
        created_at: now(),
    };
    diesel::insert_into(teams::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

pub fn find_team(conn: &mut DbConnection, name: &str) -> Result<Option<TeamRow>, ApiError> {
    Ok(teams::table
        .filter(teams::name.eq(name))
        .first(conn)
        .optional()?)
}

pub fn find_reviewer(conn: &mut DbConnection, name: &str) -> Result<Option<ReviewerRow>, ApiError> {
    Ok(reviewers::table
        .filter(reviewers::name.eq(name))
        .first(conn)
        .optional()?)
}

/// What `baton reviewer add` asks for.
pub struct NewReviewer<'a> {
    pub name: &'a str,
    pub display_name: Option<&'a str>,
    pub password_hash: String,
    pub teams: &'a [String],
    pub is_admin: bool,
}

/// Adds a reviewer, or updates one of the same name (password, display name, admin flag) and
/// adds the named teams to it.
pub fn upsert_reviewer(
    conn: &mut DbConnection,
    r: NewReviewer<'_>,
) -> Result<ReviewerRow, ApiError> {
    let display = r
        .display_name
        .map(str::to_string)
        .unwrap_or_else(|| capitalise(r.name));
    let row = match find_reviewer(conn, r.name)? {
        Some(existing) => {
            diesel::update(reviewers::table.find(&existing.id))
                .set((
                    reviewers::display_name.eq(&display),
                    reviewers::password_hash.eq(&r.password_hash),
                    reviewers::is_admin.eq(r.is_admin || existing.is_admin),
                ))
                .execute(conn)?;
            reviewers::table.find(&existing.id).first(conn)?
        }
        None => {
            let row = ReviewerRow {
                id: RecordId::new().to_string(),
                name: r.name.to_string(),
                display_name: display,
                password_hash: r.password_hash,
                is_admin: r.is_admin,
                created_at: now(),
                disabled_at: None,
            };
            diesel::insert_into(reviewers::table)
                .values(&row)
                .execute(conn)?;
            row
        }
    };
    for team in r.teams {
        let team = ensure_team(conn, team)?;
        let exists = team_members::table
            .filter(team_members::team_id.eq(&team.id))
            .filter(team_members::reviewer_id.eq(&row.id))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if !exists {
            diesel::insert_into(team_members::table)
                .values((
                    team_members::team_id.eq(&team.id),
                    team_members::reviewer_id.eq(&row.id),
                ))
                .execute(conn)?;
        }
    }
    Ok(row)
}

fn capitalise(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Stores a new sign-in token for a reviewer.
pub fn create_token(
    conn: &mut DbConnection,
    reviewer_id: &str,
    ttl: std::time::Duration,
) -> Result<(String, chrono::NaiveDateTime), ApiError> {
    let token = auth::generate_reviewer_token();
    let created = now();
    let expires = created + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(12));
    // Expired tokens are dropped here rather than by a separate sweeper.
    diesel::delete(reviewer_tokens::table.filter(reviewer_tokens::expires_at.lt(created)))
        .execute(conn)?;
    diesel::insert_into(reviewer_tokens::table)
        .values((
            reviewer_tokens::token_hash.eq(auth::token_digest(&token)),
            reviewer_tokens::reviewer_id.eq(reviewer_id),
            reviewer_tokens::created_at.eq(created),
            reviewer_tokens::expires_at.eq(expires),
        ))
        .execute(conn)?;
    Ok((token, expires))
}

/// Ends a sign-in.
pub fn revoke_token(conn: &mut DbConnection, token: &str) -> Result<(), ApiError> {
    diesel::delete(reviewer_tokens::table.find(auth::token_digest(token))).execute(conn)?;
    Ok(())
}

/// Every team and enabled reviewer, by name: the choices for a transfer and the display names
/// of the history.
pub fn directory(conn: &mut DbConnection) -> Result<(Vec<TeamRow>, Vec<ReviewerRow>), ApiError> {
    let t = teams::table.order(teams::name.asc()).load(conn)?;
    let r = reviewers::table
        .filter(reviewers::disabled_at.is_null())
        .order(reviewers::name.asc())
        .load(conn)?;
    Ok((t, r))
}
