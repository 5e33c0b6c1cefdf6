//! Canned responses' storage: the rows, with their team's and owner's names, the lists a
//! reviewer may see or use in a conversation, and the writes with their audit entries. Who
//! may do what is `domain::canned`; the handlers ask it before they call a write here.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::schema::{canned_responses, reviewers, teams};
use super::{audit, now, DbConnection};
use crate::domain::canned::{Content, Owner, Shortcut, Title};
use crate::domain::types::RecordId;
use crate::error::ApiError;

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = canned_responses)]
pub struct CannedRow {
    pub id: String,
    /// Set for a team-wide one.
    pub team_id: Option<String>,
    /// Set for a personal one.
    pub owner_id: Option<String>,
    pub shortcut: String,
    pub title: String,
    pub content: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl CannedRow {
    /// Whose it is (the table's check keeps exactly one of the two set).
    pub fn owner(&self) -> Owner<'_> {
        match (&self.team_id, &self.owner_id) {
            (Some(team), _) => Owner::Team(team),
            (None, Some(reviewer)) => Owner::Reviewer(reviewer),
            (None, None) => Owner::Reviewer(""),
        }
    }
}

/// A canned response with the names of its team or owner.
#[derive(Clone, Debug)]
pub struct Canned {
    pub row: CannedRow,
    /// The team's name, for a team-wide one.
    pub team: Option<String>,
    /// The owner's sign-in name, for a personal one.
    pub owner: Option<String>,
    /// The owner's display name, for a personal one.
    pub owner_display: Option<String>,
}

/// Which canned responses to list.
pub enum Which<'a> {
    /// Every one (admins).
    All,
    /// The reviewer's own and those of the teams given (by id).
    For {
        reviewer_id: &'a str,
        team_ids: &'a [String],
    },
}

/// Canned responses, team-wide ones first (by team name), then personal ones, each by shortcut.
/// `team` (a name) keeps the team-wide ones of that team only.
pub fn list(
    conn: &mut DbConnection,
    which: Which<'_>,
    team: Option<&str>,
) -> Result<Vec<Canned>, ApiError> {
    let mut q = canned_responses::table.into_boxed();
    if let Which::For {
        reviewer_id,
        team_ids,
    } = which
    {
        q = q.filter(
            canned_responses::owner_id
                .eq(reviewer_id)
                .or(canned_responses::team_id.eq_any(team_ids)),
        );
    }
    if let Some(name) = team {
        let id: Option<String> = teams::table
            .filter(teams::name.eq(name))
            .select(teams::id)
            .first(conn)
            .optional()?;
        q = q.filter(canned_responses::team_id.eq(id.unwrap_or_default()));
    }
    let rows: Vec<CannedRow> = q
        .order((canned_responses::shortcut.asc(), canned_responses::id.asc()))
        .load(conn)?;
    let mut list = named(conn, rows)?;
    list.sort_by(|a, b| {
        (a.team.is_none(), &a.team, &a.owner, &a.row.shortcut).cmp(&(
            b.team.is_none(),
            &b.team,
            &b.owner,
            &b.row.shortcut,
        ))
    });
    Ok(list)
}

/// What a reviewer may insert in a conversation of `team_id`: their own and that team's, by
/// shortcut.
pub fn for_conversation(
    conn: &mut DbConnection,
    reviewer_id: &str,
    team_id: Option<&str>,
) -> Result<Vec<Canned>, ApiError> {
    let teams: Vec<String> = team_id.map(str::to_string).into_iter().collect();
    let mut list = list(
        conn,
        Which::For {
            reviewer_id,
            team_ids: &teams,
        },
        None,
    )?;
    list.sort_by(|a, b| {
        (&a.row.shortcut, a.team.is_none()).cmp(&(&b.row.shortcut, b.team.is_none()))
    });
    Ok(list)
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<Canned>, ApiError> {
    let row: Option<CannedRow> = canned_responses::table.find(id).first(conn).optional()?;
    Ok(named(conn, row.into_iter().collect())?.pop())
}

/// The rows with their team's and owner's names.
fn named(conn: &mut DbConnection, rows: Vec<CannedRow>) -> Result<Vec<Canned>, ApiError> {
    let team_ids: Vec<&String> = rows.iter().filter_map(|r| r.team_id.as_ref()).collect();
    let owner_ids: Vec<&String> = rows.iter().filter_map(|r| r.owner_id.as_ref()).collect();
    let team_names: HashMap<String, String> = if team_ids.is_empty() {
        HashMap::new()
    } else {
        teams::table
            .filter(teams::id.eq_any(team_ids))
            .select((teams::id, teams::name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    };
    let owners: HashMap<String, (String, String)> = if owner_ids.is_empty() {
        HashMap::new()
    } else {
        reviewers::table
            .filter(reviewers::id.eq_any(owner_ids))
            .select((reviewers::id, reviewers::name, reviewers::display_name))
            .load::<(String, String, String)>(conn)?
            .into_iter()
            .map(|(id, name, shown)| (id, (name, shown)))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let team = row
                .team_id
                .as_ref()
                .and_then(|t| team_names.get(t).cloned());
            let owner = row.owner_id.as_ref().and_then(|o| owners.get(o).cloned());
            Canned {
                row,
                team,
                owner: owner.as_ref().map(|(n, _)| n.clone()),
                owner_display: owner.map(|(_, d)| d),
            }
        })
        .collect())
}

/// A new canned response's values, checked.
pub struct NewCanned {
    pub shortcut: Shortcut,
    pub title: Title,
    pub content: Content,
}

/// Changes to a canned response; `None` keeps a value.
#[derive(Default)]
pub struct CannedChanges {
    pub shortcut: Option<Shortcut>,
    pub title: Option<Title>,
    pub content: Option<Content>,
}

fn taken(
    conn: &mut DbConnection,
    team_id: Option<&str>,
    owner_id: Option<&str>,
    shortcut: &str,
    except: &str,
) -> Result<bool, ApiError> {
    let mut q = canned_responses::table
        .filter(canned_responses::shortcut.eq(shortcut))
        .filter(canned_responses::id.ne(except))
        .into_boxed();
    q = match (team_id, owner_id) {
        (Some(t), _) => q.filter(canned_responses::team_id.eq(t)),
        (None, Some(o)) => q.filter(canned_responses::owner_id.eq(o)),
        (None, None) => return Ok(false),
    };
    let n: i64 = q.count().get_result(conn)?;
    Ok(n > 0)
}

fn duplicate(shortcut: &str, team: Option<&str>) -> ApiError {
    ApiError::conflict(match team {
        Some(team) => format!("team {team:?} already has a canned response /{shortcut}"),
        None => format!("you already have a personal canned response /{shortcut}"),
    })
}

/// A unique index refused the write: two requests raced for one shortcut.
fn unique_conflict(e: diesel::result::Error, shortcut: &str, team: Option<&str>) -> ApiError {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => duplicate(shortcut, team),
        other => other.into(),
    }
}

/// Stores a new canned response for a team (by id and name) or a reviewer (by id); 409 when
/// the shortcut is taken there.
pub fn create(
    conn: &mut DbConnection,
    owner: Owner<'_>,
    team_name: Option<&str>,
    new: NewCanned,
    actor: &str,
) -> Result<Canned, ApiError> {
    let (team_id, owner_id) = match owner {
        Owner::Team(t) => (Some(t.to_string()), None),
        Owner::Reviewer(r) => (None, Some(r.to_string())),
    };
    let shortcut = new.shortcut.as_str();
    if taken(conn, team_id.as_deref(), owner_id.as_deref(), shortcut, "")? {
        return Err(duplicate(shortcut, team_name));
    }
    let at = now();
    let row = CannedRow {
        id: RecordId::new().to_string(),
        team_id,
        owner_id,
        shortcut: shortcut.to_string(),
        title: new.title.as_str().to_string(),
        content: new.content.as_str().to_string(),
        created_at: at,
        updated_at: at,
    };
    diesel::insert_into(canned_responses::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| unique_conflict(e, shortcut, team_name))?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "canned_response.created",
            detail: Some(json!({"id": row.id, "shortcut": row.shortcut, "team": team_name})),
            ..Default::default()
        },
    )?;
    get(conn, &row.id)?.ok_or_else(|| ApiError::not_found("the canned response is gone"))
}

/// Applies changes to a canned response that exists; 409 when the new shortcut is taken.
pub fn update(
    conn: &mut DbConnection,
    current: &Canned,
    changes: CannedChanges,
    actor: &str,
) -> Result<Canned, ApiError> {
    let row = &current.row;
    let shortcut = changes
        .shortcut
        .as_ref()
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| row.shortcut.clone());
    if shortcut != row.shortcut
        && taken(
            conn,
            row.team_id.as_deref(),
            row.owner_id.as_deref(),
            &shortcut,
            &row.id,
        )?
    {
        return Err(duplicate(&shortcut, current.team.as_deref()));
    }
    let title = changes
        .title
        .map(|t| t.as_str().to_string())
        .unwrap_or_else(|| row.title.clone());
    let content = changes
        .content
        .map(|c| c.as_str().to_string())
        .unwrap_or_else(|| row.content.clone());
    diesel::update(canned_responses::table.find(&row.id))
        .set((
            canned_responses::shortcut.eq(&shortcut),
            canned_responses::title.eq(&title),
            canned_responses::content.eq(&content),
            canned_responses::updated_at.eq(now()),
        ))
        .execute(conn)
        .map_err(|e| unique_conflict(e, &shortcut, current.team.as_deref()))?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "canned_response.updated",
            detail: Some(json!({"id": row.id, "shortcut": shortcut, "team": current.team})),
            ..Default::default()
        },
    )?;
    get(conn, &row.id)?.ok_or_else(|| ApiError::not_found("the canned response is gone"))
}

/// Deletes a canned response.
pub fn delete(conn: &mut DbConnection, current: &Canned, actor: &str) -> Result<(), ApiError> {
    diesel::delete(canned_responses::table.find(&current.row.id)).execute(conn)?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "canned_response.deleted",
            detail: Some(json!({
                "id": current.row.id,
                "shortcut": current.row.shortcut,
                "team": current.team,
                "owner": current.owner,
            })),
            ..Default::default()
        },
    )?;
    Ok(())
}
