//! API keys, teams, reviewers and sign-in tokens: what the CLI, the admin API and the first-run
//! setup manage.
//! Every change an admin makes through the API is written to the audit trail here, in the
//! same transaction. Nothing is deleted outright: reviewers are disabled, teams marked deleted and
//! keys revoked, because takeovers, messages and the audit trail keep referring to them.

use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;

use super::models::{ApiKeyRow, ReviewerRow, TeamRow};
use super::schema::{
    api_keys, reviewer_tokens, reviewers, sessions, takeovers, team_channels, team_members, teams,
    webhooks,
};
use super::{audit, escalation, now, DbConnection};
use crate::domain::accounts::{Label, ReviewerName, TeamName};
use crate::domain::credentials::{self as auth, ApiKeyAuth, ReviewerAuth};
use crate::domain::session::SessionStatus;
use crate::domain::types::{RecordId, TakeoverStatus};
use crate::error::{ApiError, FieldError};

/// A created API key: the stored row and the key itself (shown once).
pub struct CreatedKey {
    pub row: ApiKeyRow,
    pub key: String,
}

/// Creates an API key; `actor` is who asked (`cli` or `reviewer:<name>`), for the audit trail.
pub fn create_api_key(
    conn: &mut DbConnection,
    name: &str,
    actor: &str,
) -> Result<CreatedKey, ApiError> {
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
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "api_key.created",
            detail: Some(json!({"id": row.id, "name": row.name})),
            ..Default::default()
        },
    )?;
    Ok(CreatedKey { row, key })
}

/// Every API key, oldest first (revoked ones too).
pub fn list_api_keys(conn: &mut DbConnection) -> Result<Vec<ApiKeyRow>, ApiError> {
    Ok(api_keys::table
        .order((api_keys::created_at.asc(), api_keys::id.asc()))
        .load(conn)?)
}

/// Revokes a key: it is refused from now on, and its event subscriptions stop (nobody could
/// manage them any more). Callbacks of takeovers it already made are still delivered, signed
/// with its secret, so conversations in progress end normally. `None` when there is no such key;
/// revoking twice changes nothing.
pub fn revoke_api_key(
    conn: &mut DbConnection,
    id: &str,
    actor: &str,
) -> Result<Option<ApiKeyRow>, ApiError> {
    let Some(row) = api_keys::table
        .find(id)
        .first::<ApiKeyRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    if row.revoked_at.is_some() {
        return Ok(Some(row));
    }
    let at = now();
    diesel::update(api_keys::table.find(id))
        .set(api_keys::revoked_at.eq(Some(at)))
        .execute(conn)?;
    let subscriptions = diesel::update(
        webhooks::table
            .filter(webhooks::api_key_id.eq(id))
            .filter(webhooks::disabled_at.is_null()),
    )
    .set(webhooks::disabled_at.eq(Some(at)))
    .execute(conn)?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "api_key.revoked",
            detail: Some(
                json!({"id": row.id, "name": row.name, "subscriptions_disabled": subscriptions}),
            ),
            ..Default::default()
        },
    )?;
    Ok(Some(ApiKeyRow {
        revoked_at: Some(at),
        ..row
    }))
}

/// Finds a team by name, creating it when missing (or bringing it back when it was deleted).
pub fn ensure_team(conn: &mut DbConnection, name: &str) -> Result<TeamRow, ApiError> {
    match find_team_any(conn, name)? {
        Some(t) if t.deleted_at.is_none() => Ok(t),
        Some(t) => {
            diesel::update(teams::table.find(&t.id))
                .set(teams::deleted_at.eq(None::<chrono::NaiveDateTime>))
                .execute(conn)?;
            Ok(TeamRow {
                deleted_at: None,
                ..t
            })
        }
        None => {
            let row = TeamRow {
                id: RecordId::new().to_string(),
                name: name.to_string(),
                created_at: now(),
                deleted_at: None,
                outside_quiet_seconds: None,
            };
            diesel::insert_into(teams::table)
                .values(&row)
                .execute(conn)?;
            Ok(row)
        }
    }
}

/// A team that exists (deleted teams are kept for history but cannot be assigned or joined).
pub fn find_team(conn: &mut DbConnection, name: &str) -> Result<Option<TeamRow>, ApiError> {
    Ok(teams::table
        .filter(teams::name.eq(name))
        .filter(teams::deleted_at.is_null())
        .first(conn)
        .optional()?)
}

/// The quiet time after a `staff` turn of this team (`domain::staff`: its own setting, else
/// the default; the default too without a team).
pub fn quiet_seconds(conn: &mut DbConnection, team_id: Option<&str>) -> Result<i64, ApiError> {
    let setting = match team_id {
        Some(id) => teams::table
            .find(id)
            .select(teams::outside_quiet_seconds)
            .first::<Option<i64>>(conn)
            .optional()?
            .flatten(),
        None => None,
    };
    Ok(crate::domain::staff::quiet_seconds(setting))
}

/// Sets (or with `None` clears, back to the default) a team's quiet time after a `staff` turn.
pub fn set_quiet_seconds(
    conn: &mut DbConnection,
    team_id: &str,
    seconds: Option<i64>,
    actor: &str,
) -> Result<(), ApiError> {
    diesel::update(teams::table.find(team_id))
        .set(teams::outside_quiet_seconds.eq(seconds))
        .execute(conn)?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "team.updated",
            detail: Some(json!({"team_id": team_id, "outside_quiet_seconds": seconds})),
            ..Default::default()
        },
    )?;
    Ok(())
}

/// A team by name, deleted or not.
fn find_team_any(conn: &mut DbConnection, name: &str) -> Result<Option<TeamRow>, ApiError> {
    Ok(teams::table
        .filter(teams::name.eq(name))
        .first(conn)
        .optional()?)
}

/// A team with the names of its enabled members.
pub struct TeamWithMembers {
    pub team: TeamRow,
    pub members: Vec<String>,
}

/// Every team that exists, by name, with its enabled members.
pub fn list_teams(conn: &mut DbConnection) -> Result<Vec<TeamWithMembers>, ApiError> {
    let rows: Vec<TeamRow> = teams::table
        .filter(teams::deleted_at.is_null())
        .order(teams::name.asc())
        .load(conn)?;
    let pairs: Vec<(String, String)> = team_members::table
        .inner_join(reviewers::table)
        .filter(reviewers::disabled_at.is_null())
        .select((team_members::team_id, reviewers::name))
        .order(reviewers::name.asc())
        .load(conn)?;
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (team, name) in pairs {
        members.entry(team).or_default().push(name);
    }
    Ok(rows
        .into_iter()
        .map(|team| TeamWithMembers {
            members: members.remove(&team.id).unwrap_or_default(),
            team,
        })
        .collect())
}

/// One namespace for assignees: a takeover's `assignee` names a team or a reviewer, so the two
/// may never share a name.
fn refuse_name_clash(conn: &mut DbConnection, name: &str, new_kind: &str) -> Result<(), ApiError> {
    let team = find_team_any(conn, name)?.is_some();
    let reviewer = find_reviewer(conn, name)?.is_some();
    let clash = match new_kind {
        "team" => reviewer.then_some("reviewer"),
        _ => team.then_some("team"),
    };
    match clash {
        Some(other) => Err(ApiError::conflict(format!(
            "a {other} is already named {name:?}; team and reviewer names must differ, because a takeover's `assignee` names either"
        ))),
        None => Ok(()),
    }
}

/// Creates a team, or brings back a deleted one of that name (without its old members).
/// Returns the team and whether it was created (or brought back) by this call.
pub fn put_team(
    conn: &mut DbConnection,
    name: &TeamName,
    actor: &str,
) -> Result<(TeamWithMembers, bool), ApiError> {
    refuse_name_clash(conn, name.as_str(), "team")?;
    let existing = find_team_any(conn, name.as_str())?;
    if let Some(t) = existing.as_ref().filter(|t| t.deleted_at.is_none()) {
        let members = members_of(conn, &t.id)?;
        return Ok((
            TeamWithMembers {
                team: t.clone(),
                members,
            },
            false,
        ));
    }
    let team = ensure_team(conn, name.as_str())?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "team.created",
            detail: Some(json!({"team": team.name, "restored": existing.is_some()})),
            ..Default::default()
        },
    )?;
    Ok((
        TeamWithMembers {
            team,
            members: Vec::new(),
        },
        true,
    ))
}

/// The enabled members of a team, by name.
fn members_of(conn: &mut DbConnection, team_id: &str) -> Result<Vec<String>, ApiError> {
    Ok(team_members::table
        .inner_join(reviewers::table)
        .filter(team_members::team_id.eq(team_id))
        .filter(reviewers::disabled_at.is_null())
        .select(reviewers::name)
        .order(reviewers::name.asc())
        .load(conn)?)
}

/// Deletes a team that nothing still depends on: no open takeover waits for it or is held in it,
/// and no escalation policy applies to it or escalates to it (else 409 naming them). Its
/// members leave it and its notification channels are removed; past takeovers keep its name.
/// `false` when there is no such team.
pub fn delete_team(conn: &mut DbConnection, name: &str, actor: &str) -> Result<bool, ApiError> {
    let Some(team) = find_team(conn, name)? else {
        return Ok(false);
    };
    let open: i64 = takeovers::table
        .filter(takeovers::assignee_team_id.eq(&team.id))
        .filter(takeovers::status.ne(TakeoverStatus::Resolved.as_str()))
        .count()
        .get_result(conn)?;
    if open > 0 {
        return Err(ApiError::conflict(format!(
            "{open} open takeover(s) are assigned to team {name:?}; transfer or close them first"
        )));
    }
    let policies: Vec<String> = escalation::list_policies(conn)?
        .into_iter()
        .filter(|p| {
            p.team_id.as_deref() == Some(team.id.as_str())
                || escalation::steps_of(p).iter().any(|s| s.assignee == name)
        })
        .map(|p| p.name)
        .collect();
    if !policies.is_empty() {
        return Err(ApiError::conflict(format!(
            "escalation policies {} refer to team {name:?}; change or delete them first",
            policies.join(", ")
        )));
    }
    let members: Vec<String> = team_members::table
        .inner_join(reviewers::table)
        .filter(team_members::team_id.eq(&team.id))
        .select(reviewers::name)
        .order(reviewers::name.asc())
        .load(conn)?;
    diesel::delete(team_members::table.filter(team_members::team_id.eq(&team.id))).execute(conn)?;
    diesel::delete(team_channels::table.filter(team_channels::team_id.eq(&team.id)))
        .execute(conn)?;
    diesel::update(teams::table.find(&team.id))
        .set(teams::deleted_at.eq(Some(now())))
        .execute(conn)?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "team.deleted",
            detail: Some(json!({"team": name, "members": members})),
            ..Default::default()
        },
    )?;
    Ok(true)
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
    let t = teams::table
        .filter(teams::deleted_at.is_null())
        .order(teams::name.asc())
        .load(conn)?;
    let r = reviewers::table
        .filter(reviewers::disabled_at.is_null())
        .order(reviewers::name.asc())
        .load(conn)?;
    Ok((t, r))
}

/// A reviewer with the names of the teams they are in.
pub struct ReviewerWithTeams {
    pub reviewer: ReviewerRow,
    pub teams: Vec<String>,
}

fn teams_of(conn: &mut DbConnection, reviewer_id: &str) -> Result<Vec<String>, ApiError> {
    Ok(team_members::table
        .inner_join(teams::table)
        .filter(team_members::reviewer_id.eq(reviewer_id))
        .filter(teams::deleted_at.is_null())
        .select(teams::name)
        .order(teams::name.asc())
        .load(conn)?)
}

/// Every reviewer, disabled ones too, by name.
pub fn list_reviewers(conn: &mut DbConnection) -> Result<Vec<ReviewerWithTeams>, ApiError> {
    let rows: Vec<ReviewerRow> = reviewers::table.order(reviewers::name.asc()).load(conn)?;
    let pairs: Vec<(String, String)> = team_members::table
        .inner_join(teams::table)
        .filter(teams::deleted_at.is_null())
        .select((team_members::reviewer_id, teams::name))
        .order(teams::name.asc())
        .load(conn)?;
    let mut by_reviewer: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (reviewer, team) in pairs {
        by_reviewer.entry(reviewer).or_default().push(team);
    }
    Ok(rows
        .into_iter()
        .map(|reviewer| ReviewerWithTeams {
            teams: by_reviewer.remove(&reviewer.id).unwrap_or_default(),
            reviewer,
        })
        .collect())
}

/// The ids of the named teams, in order; a name that is not a team is a 400 naming its place
/// in `field`.
fn team_ids(
    conn: &mut DbConnection,
    names: &[TeamName],
    field: &str,
) -> Result<Vec<String>, ApiError> {
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match find_team(conn, name.as_str())? {
            Some(t) if !ids.contains(&t.id) => ids.push(t.id),
            Some(_) => {}
            None => errors.push(FieldError {
                field: format!("{field}[{i}]"),
                message: format!(
                    "no team named {:?}; create it first with PUT /v1/teams/{{team}}",
                    name.as_str()
                ),
            }),
        }
    }
    if errors.is_empty() {
        Ok(ids)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Makes the reviewer a member of exactly these teams.
fn set_memberships(
    conn: &mut DbConnection,
    reviewer_id: &str,
    team_ids: &[String],
) -> Result<(), ApiError> {
    diesel::delete(
        team_members::table
            .filter(team_members::reviewer_id.eq(reviewer_id))
            .filter(team_members::team_id.ne_all(team_ids)),
    )
    .execute(conn)?;
    let have: Vec<String> = team_members::table
        .filter(team_members::reviewer_id.eq(reviewer_id))
        .select(team_members::team_id)
        .load(conn)?;
    for id in team_ids.iter().filter(|id| !have.contains(id)) {
        diesel::insert_into(team_members::table)
            .values((
                team_members::team_id.eq(id),
                team_members::reviewer_id.eq(reviewer_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A reviewer an admin adds.
pub struct NewAccount<'a> {
    pub name: &'a ReviewerName,
    pub display_name: Option<&'a Label>,
    pub password_hash: String,
    pub teams: &'a [TeamName],
    pub admin: bool,
}

/// Adds a reviewer (409 when the name is taken by a reviewer or a team; 400 for unknown teams).
pub fn create_reviewer(
    conn: &mut DbConnection,
    new: NewAccount<'_>,
    actor: &str,
) -> Result<ReviewerWithTeams, ApiError> {
    let name = new.name.as_str();
    if find_reviewer(conn, name)?.is_some() {
        return Err(ApiError::conflict(format!(
            "a reviewer named {name:?} exists; change it with PATCH /v1/reviewers/{name}"
        )));
    }
    refuse_name_clash(conn, name, "reviewer")?;
    let ids = team_ids(conn, new.teams, "teams")?;
    let row = ReviewerRow {
        id: RecordId::new().to_string(),
        name: name.to_string(),
        display_name: new
            .display_name
            .map(|d| d.as_str().to_string())
            .unwrap_or_else(|| capitalise(name)),
        password_hash: new.password_hash,
        is_admin: new.admin,
        created_at: now(),
        disabled_at: None,
    };
    diesel::insert_into(reviewers::table)
        .values(&row)
        .execute(conn)?;
    set_memberships(conn, &row.id, &ids)?;
    let teams = teams_of(conn, &row.id)?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "reviewer.created",
            detail: Some(json!({
                "reviewer": row.name, "display_name": row.display_name,
                "teams": teams, "admin": row.is_admin,
            })),
            ..Default::default()
        },
    )?;
    Ok(ReviewerWithTeams {
        reviewer: row,
        teams,
    })
}

/// Is there any reviewer at all (disabled ones count)? While there is none, `baton serve` offers
/// its one-time setup link.
pub fn any_reviewer(conn: &mut DbConnection) -> Result<bool, ApiError> {
    Ok(reviewers::table
        .select(reviewers::id)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

/// What the first-run setup creates: the first admin, the team they are in, and an API key.
pub struct FirstRun<'a> {
    pub name: &'a ReviewerName,
    pub display_name: Option<&'a Label>,
    pub password_hash: String,
    pub team: &'a TeamName,
    pub key_name: &'a Label,
}

/// What the first-run setup created.
pub struct FirstRunDone {
    pub admin: ReviewerWithTeams,
    pub key: CreatedKey,
}

/// Creates the first admin, their team and an API key, as an admin would one by one (audit
/// trail included, under `actor`) — but only while no reviewer exists: `None` once one does,
/// however it came (this setup on another replica, the CLI). Replicas setting up at the same
/// moment take turns: on PostgreSQL under an advisory lock held to the end of the transaction,
/// on SQLite behind its single writer; the second then finds the first's admin.
pub fn create_first_admin(
    conn: &mut DbConnection,
    new: FirstRun<'_>,
    actor: &str,
) -> Result<Option<FirstRunDone>, ApiError> {
    if matches!(conn, DbConnection::Postgresql(_)) {
        conn.batch_execute("SELECT pg_advisory_xact_lock(727276)")?;
    }
    if any_reviewer(conn)? {
        return Ok(None);
    }
    put_team(conn, new.team, actor)?;
    let admin = create_reviewer(
        conn,
        NewAccount {
            name: new.name,
            display_name: new.display_name,
            password_hash: new.password_hash,
            teams: std::slice::from_ref(new.team),
            admin: true,
        },
        actor,
    )?;
    let key = create_api_key(conn, new.key_name.as_str(), actor)?;
    Ok(Some(FirstRunDone { admin, key }))
}

/// What an admin changes about a reviewer; `None` leaves a field as it is.
#[derive(Default)]
pub struct AccountChanges {
    pub display_name: Option<Label>,
    pub password_hash: Option<String>,
    pub teams: Option<Vec<TeamName>>,
    pub admin: Option<bool>,
    pub disabled: Option<bool>,
}

/// The result of [`update_reviewer`]: the reviewer as now stored, and the conversations they
/// held that went back to the queue because they were disabled.
pub struct UpdatedAccount {
    pub account: ReviewerWithTeams,
    pub released: Vec<String>,
}

/// Changes a reviewer. Disabling one ends every sign-in (tokens and inbox cookies) and puts the
/// conversations they hold back in the queue; a new password ends their sign-ins too (unless
/// admins change their own). Refuses (409) to leave Baton without an enabled admin. `None`
/// when there is no such reviewer.
pub fn update_reviewer(
    conn: &mut DbConnection,
    name: &str,
    changes: AccountChanges,
    by: &ReviewerAuth,
) -> Result<Option<UpdatedAccount>, ApiError> {
    let Some(row) = find_reviewer(conn, name)? else {
        return Ok(None);
    };
    let actor = format!("reviewer:{}", by.name);
    let ids = match &changes.teams {
        Some(names) => Some(team_ids(conn, names, "teams")?),
        None => None,
    };
    let was_enabled = row.disabled_at.is_none();
    let will_be_admin = changes.admin.unwrap_or(row.is_admin);
    let will_be_enabled = !changes.disabled.unwrap_or(!was_enabled);
    if row.is_admin && was_enabled && !(will_be_admin && will_be_enabled) {
        let other_admins: i64 = reviewers::table
            .filter(reviewers::is_admin.eq(true))
            .filter(reviewers::disabled_at.is_null())
            .filter(reviewers::id.ne(&row.id))
            .count()
            .get_result(conn)?;
        if other_admins == 0 {
            return Err(ApiError::conflict(format!(
                "{name} is the last enabled admin; make another reviewer an admin first"
            )));
        }
    }

    let mut changed = serde_json::Map::new();
    if let Some(display) = &changes.display_name {
        if display.as_str() != row.display_name {
            diesel::update(reviewers::table.find(&row.id))
                .set(reviewers::display_name.eq(display.as_str()))
                .execute(conn)?;
            changed.insert("display_name".into(), json!(display.as_str()));
        }
    }
    if let Some(admin) = changes.admin.filter(|a| *a != row.is_admin) {
        diesel::update(reviewers::table.find(&row.id))
            .set(reviewers::is_admin.eq(admin))
            .execute(conn)?;
        changed.insert("admin".into(), json!(admin));
    }
    if let Some(ids) = &ids {
        let before = teams_of(conn, &row.id)?;
        set_memberships(conn, &row.id, ids)?;
        let after = teams_of(conn, &row.id)?;
        if before != after {
            changed.insert("teams".into(), json!(after));
        }
    }
    if let Some(hash) = &changes.password_hash {
        diesel::update(reviewers::table.find(&row.id))
            .set(reviewers::password_hash.eq(hash))
            .execute(conn)?;
        changed.insert("password_changed".into(), json!(true));
        if row.id != by.id {
            end_sign_ins(conn, &row.id)?;
        }
    }
    if !changed.is_empty() {
        changed.insert("reviewer".into(), json!(row.name));
        audit::record(
            conn,
            audit::Entry {
                actor: &actor,
                action: "reviewer.updated",
                detail: Some(serde_json::Value::Object(changed)),
                ..Default::default()
            },
        )?;
    }

    let mut released = Vec::new();
    if was_enabled && !will_be_enabled {
        diesel::update(reviewers::table.find(&row.id))
            .set(reviewers::disabled_at.eq(Some(now())))
            .execute(conn)?;
        let ended = end_sign_ins(conn, &row.id)?;
        released = release_held(conn, &row.name, by)?;
        audit::record(
            conn,
            audit::Entry {
                actor: &actor,
                action: "reviewer.disabled",
                detail: Some(json!({
                    "reviewer": row.name, "sign_ins_ended": ended, "released": released,
                })),
                ..Default::default()
            },
        )?;
    } else if !was_enabled && will_be_enabled {
        diesel::update(reviewers::table.find(&row.id))
            .set(reviewers::disabled_at.eq(None::<chrono::NaiveDateTime>))
            .execute(conn)?;
        audit::record(
            conn,
            audit::Entry {
                actor: &actor,
                action: "reviewer.enabled",
                detail: Some(json!({"reviewer": row.name})),
                ..Default::default()
            },
        )?;
    }
    let reviewer: ReviewerRow = reviewers::table.find(&row.id).first(conn)?;
    let teams = teams_of(conn, &row.id)?;
    Ok(Some(UpdatedAccount {
        account: ReviewerWithTeams { reviewer, teams },
        released,
    }))
}

/// Ends every sign-in of a reviewer (API tokens and inbox cookies are the same tokens).
fn end_sign_ins(conn: &mut DbConnection, reviewer_id: &str) -> Result<usize, ApiError> {
    Ok(
        diesel::delete(reviewer_tokens::table.filter(reviewer_tokens::reviewer_id.eq(reviewer_id)))
            .execute(conn)?,
    )
}

/// Puts the conversations a reviewer holds back in the queue, as the admin `by`.
fn release_held(
    conn: &mut DbConnection,
    reviewer: &str,
    by: &ReviewerAuth,
) -> Result<Vec<String>, ApiError> {
    let held: Vec<String> = sessions::table
        .filter(sessions::assigned_to.eq(reviewer))
        .filter(sessions::status.eq(SessionStatus::HumanActive.as_str()))
        .select(sessions::id)
        .order(sessions::id.asc())
        .load(conn)?;
    for id in &held {
        super::takeovers::release(conn, id, by)?;
    }
    Ok(held)
}

/// Is the token behind this digest still live, and its reviewer enabled?
pub fn token_is_live(conn: &mut DbConnection, digest: &str) -> Result<bool, ApiError> {
    let n: i64 = reviewer_tokens::table
        .inner_join(reviewers::table)
        .filter(reviewer_tokens::token_hash.eq(digest))
        .filter(reviewer_tokens::expires_at.gt(now()))
        .filter(reviewers::disabled_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Loads the reviewer behind a token digest, if the token is live and the reviewer enabled.
pub fn reviewer_by_token(
    conn: &mut DbConnection,
    digest: &str,
) -> Result<Option<ReviewerAuth>, ApiError> {
    let row = reviewer_tokens::table
        .inner_join(reviewers::table)
        .filter(reviewer_tokens::token_hash.eq(digest))
        .filter(reviewer_tokens::expires_at.gt(now()))
        .filter(reviewers::disabled_at.is_null())
        .select(reviewers::all_columns)
        .first::<ReviewerRow>(conn)
        .optional()?;
    row.map(|r| reviewer_auth(conn, r)).transpose()
}

/// A reviewer row with its teams, as an authenticated reviewer.
pub fn reviewer_auth(conn: &mut DbConnection, r: ReviewerRow) -> Result<ReviewerAuth, ApiError> {
    let team_rows: Vec<(String, String)> = team_members::table
        .inner_join(teams::table)
        .filter(team_members::reviewer_id.eq(&r.id))
        .select((teams::id, teams::name))
        .order(teams::name.asc())
        .load(conn)?;
    let (team_ids, team_names) = team_rows.into_iter().unzip();
    Ok(ReviewerAuth {
        id: r.id,
        name: r.name,
        display_name: r.display_name,
        is_admin: r.is_admin,
        team_ids,
        team_names,
    })
}

/// The live (not revoked) API key behind a digest.
pub fn api_key_by_digest(
    conn: &mut DbConnection,
    digest: &str,
) -> Result<Option<ApiKeyAuth>, ApiError> {
    let row = api_keys::table
        .filter(api_keys::key_hash.eq(digest))
        .filter(api_keys::revoked_at.is_null())
        .first::<ApiKeyRow>(conn)
        .optional()?;
    Ok(row.map(|row| ApiKeyAuth {
        id: row.id,
        name: row.name,
        signing_secret: row.signing_secret,
    }))
}
