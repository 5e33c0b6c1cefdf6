//! WhatsApp templates' storage: the rows with their team's name, the lists a reviewer may see
//! (their teams'; admins every one), the lookup a template reply makes, and the writes with
//! their audit entries. What a template may hold is `domain::templates`; a template reply is
//! recorded by `db::takeovers::reply_template`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::schema::{teams, whatsapp_templates};
use super::{audit, now, DbConnection};
use crate::domain::templates::{Button, Category, Definition, Draft, Language, TemplateName};
use crate::domain::types::RecordId;
use crate::error::ApiError;

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = whatsapp_templates)]
pub struct TemplateRow {
    pub id: String,
    pub team_id: String,
    pub name: String,
    pub language: String,
    pub category: String,
    pub header_format: Option<String>,
    pub header_text: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    /// JSON: WhatsApp's buttons (`domain::templates::Button`).
    pub buttons: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TemplateRow {
    pub fn buttons(&self) -> Vec<Button> {
        serde_json::from_str(&self.buttons).unwrap_or_default()
    }

    pub fn category(&self) -> Category {
        Category::parse(&self.category).unwrap_or(Category::Utility)
    }

    /// The stored definition, checked again (it was checked when written).
    pub fn definition(&self) -> Result<Definition, ApiError> {
        let buttons = self.buttons();
        Definition::parse(&Draft {
            header_format: self.header_format.as_deref(),
            header_text: self.header_text.as_deref(),
            body: &self.body,
            footer: self.footer.as_deref(),
            buttons: &buttons,
        })
        .map_err(|problems| {
            ApiError::internal(anyhow::anyhow!(
                "stored template {} does not parse: {problems:?}",
                self.id
            ))
        })
    }
}

/// A template with its team's name.
#[derive(Clone, Debug)]
pub struct Template {
    pub row: TemplateRow,
    pub team: String,
}

/// A template's checked values, for a create or a replacement.
pub struct NewTemplate {
    pub name: TemplateName,
    pub language: Language,
    pub category: Category,
    pub definition: Definition,
}

/// Templates of the teams given (by id; `None`: every team), by team name, name and language.
/// `team` (a name) keeps that team's only.
pub fn list(
    conn: &mut DbConnection,
    team_ids: Option<&[String]>,
    team: Option<&str>,
) -> Result<Vec<Template>, ApiError> {
    let mut q = whatsapp_templates::table.into_boxed();
    if let Some(ids) = team_ids {
        q = q.filter(whatsapp_templates::team_id.eq_any(ids));
    }
    if let Some(name) = team {
        let id: Option<String> = teams::table
            .filter(teams::name.eq(name))
            .select(teams::id)
            .first(conn)
            .optional()?;
        q = q.filter(whatsapp_templates::team_id.eq(id.unwrap_or_default()));
    }
    let rows: Vec<TemplateRow> = q
        .order((
            whatsapp_templates::name.asc(),
            whatsapp_templates::language.asc(),
        ))
        .load(conn)?;
    let mut list = named(conn, rows)?;
    list.sort_by(|a, b| {
        (&a.team, &a.row.name, &a.row.language).cmp(&(&b.team, &b.row.name, &b.row.language))
    });
    Ok(list)
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<Template>, ApiError> {
    let row: Option<TemplateRow> = whatsapp_templates::table.find(id).first(conn).optional()?;
    Ok(named(conn, row.into_iter().collect())?.pop())
}

fn named(conn: &mut DbConnection, rows: Vec<TemplateRow>) -> Result<Vec<Template>, ApiError> {
    let ids: Vec<&String> = rows.iter().map(|r| &r.team_id).collect();
    let names: HashMap<String, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        teams::table
            .filter(teams::id.eq_any(ids))
            .select((teams::id, teams::name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|row| Template {
            team: names.get(&row.team_id).cloned().unwrap_or_default(),
            row,
        })
        .collect())
}

fn duplicate(name: &str, language: &str, team: &str) -> ApiError {
    ApiError::conflict(format!(
        "team {team:?} already has a template {name:?} in {language}"
    ))
}

fn taken(
    conn: &mut DbConnection,
    team_id: &str,
    new: &NewTemplate,
    except: &str,
) -> Result<bool, ApiError> {
    let n: i64 = whatsapp_templates::table
        .filter(whatsapp_templates::team_id.eq(team_id))
        .filter(whatsapp_templates::name.eq(new.name.as_str()))
        .filter(whatsapp_templates::language.eq(new.language.as_str()))
        .filter(whatsapp_templates::id.ne(except))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A unique index refused the write: two requests raced for one name and language.
fn unique_conflict(e: diesel::result::Error, new: &NewTemplate, team: &str) -> ApiError {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            duplicate(new.name.as_str(), new.language.as_str(), team)
        }
        other => other.into(),
    }
}

fn row(id: String, team_id: &str, new: &NewTemplate, created_at: NaiveDateTime) -> TemplateRow {
    let d = &new.definition;
    TemplateRow {
        id,
        team_id: team_id.to_string(),
        name: new.name.as_str().to_string(),
        language: new.language.as_str().to_string(),
        category: new.category.as_str().to_string(),
        header_format: d.header.as_ref().map(|h| h.format().as_str().to_string()),
        header_text: d.header.as_ref().and_then(|h| h.text()).map(str::to_string),
        body: d.body.clone(),
        footer: d.footer.clone(),
        buttons: serde_json::to_string(&d.buttons).unwrap_or_else(|_| "[]".into()),
        created_at,
        updated_at: now(),
    }
}

/// Stores a new template for a team (by id and name); 409 when the team has the name in
/// that language.
pub fn create(
    conn: &mut DbConnection,
    team_id: &str,
    team_name: &str,
    new: NewTemplate,
    actor: &str,
) -> Result<Template, ApiError> {
    if taken(conn, team_id, &new, "")? {
        return Err(duplicate(
            new.name.as_str(),
            new.language.as_str(),
            team_name,
        ));
    }
    let r = row(RecordId::new().to_string(), team_id, &new, now());
    diesel::insert_into(whatsapp_templates::table)
        .values(&r)
        .execute(conn)
        .map_err(|e| unique_conflict(e, &new, team_name))?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "whatsapp_template.created",
            detail: Some(
                json!({"id": r.id, "name": r.name, "language": r.language, "team": team_name}),
            ),
            ..Default::default()
        },
    )?;
    get(conn, &r.id)?.ok_or_else(|| ApiError::not_found("the template is gone"))
}

/// Replaces a template's values (its team may change too); 409 when the name and language
/// are taken in that team.
pub fn replace(
    conn: &mut DbConnection,
    current: &Template,
    team_id: &str,
    team_name: &str,
    new: NewTemplate,
    actor: &str,
) -> Result<Template, ApiError> {
    if taken(conn, team_id, &new, &current.row.id)? {
        return Err(duplicate(
            new.name.as_str(),
            new.language.as_str(),
            team_name,
        ));
    }
    let r = row(
        current.row.id.clone(),
        team_id,
        &new,
        current.row.created_at,
    );
    diesel::update(whatsapp_templates::table.find(&r.id))
        .set((
            whatsapp_templates::team_id.eq(&r.team_id),
            whatsapp_templates::name.eq(&r.name),
            whatsapp_templates::language.eq(&r.language),
            whatsapp_templates::category.eq(&r.category),
            whatsapp_templates::header_format.eq(&r.header_format),
            whatsapp_templates::header_text.eq(&r.header_text),
            whatsapp_templates::body.eq(&r.body),
            whatsapp_templates::footer.eq(&r.footer),
            whatsapp_templates::buttons.eq(&r.buttons),
            whatsapp_templates::updated_at.eq(r.updated_at),
        ))
        .execute(conn)
        .map_err(|e| unique_conflict(e, &new, team_name))?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "whatsapp_template.updated",
            detail: Some(
                json!({"id": r.id, "name": r.name, "language": r.language, "team": team_name}),
            ),
            ..Default::default()
        },
    )?;
    get(conn, &r.id)?.ok_or_else(|| ApiError::not_found("the template is gone"))
}

pub fn delete(conn: &mut DbConnection, current: &Template, actor: &str) -> Result<(), ApiError> {
    diesel::delete(whatsapp_templates::table.find(&current.row.id)).execute(conn)?;
    audit::record(
        conn,
        audit::Entry {
            actor,
            action: "whatsapp_template.deleted",
            detail: Some(json!({
                "id": current.row.id,
                "name": current.row.name,
                "language": current.row.language,
                "team": current.team,
            })),
            ..Default::default()
        },
    )?;
    Ok(())
}

/// The templates of every team with this name and language (who may send which is
/// `domain::templates::may_send`).
pub fn find(
    conn: &mut DbConnection,
    name: &str,
    language: &str,
) -> Result<Vec<Template>, ApiError> {
    let rows: Vec<TemplateRow> = whatsapp_templates::table
        .filter(whatsapp_templates::name.eq(name))
        .filter(whatsapp_templates::language.eq(language))
        .load(conn)?;
    named(conn, rows)
}
