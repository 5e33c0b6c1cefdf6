//! Customer texts: admins' templates per team and language, and the one call every sentence
//! for a customer goes through ([`say`]), which finds the customer's language and team for a
//! takeover and lets `domain::texts::choose` pick the template.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::TakeoverRow;
use super::schema::{customer_texts, teams, widget_visitors};
use super::{now, DbConnection};
use crate::domain::texts::{self, Lang, Override, TextKey};
use crate::error::ApiError;

#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = customer_texts)]
pub struct TextRow {
    pub team: String,
    pub locale: String,
    pub key: String,
    pub template: String,
    pub updated_at: NaiveDateTime,
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<TextRow>, ApiError> {
    Ok(customer_texts::table
        .order((
            customer_texts::key.asc(),
            customer_texts::team.asc(),
            customer_texts::locale.asc(),
        ))
        .load(conn)?)
}

/// Sets (or replaces) one template.
pub fn put(conn: &mut DbConnection, row: &TextRow) -> Result<(), ApiError> {
    diesel::delete(
        customer_texts::table
            .filter(customer_texts::team.eq(&row.team))
            .filter(customer_texts::locale.eq(&row.locale))
            .filter(customer_texts::key.eq(&row.key)),
    )
    .execute(conn)?;
    diesel::insert_into(customer_texts::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Removes one template; false when there was none.
pub fn remove(
    conn: &mut DbConnection,
    team: &str,
    locale: &str,
    key: &str,
) -> Result<bool, ApiError> {
    Ok(diesel::delete(
        customer_texts::table
            .filter(customer_texts::team.eq(team))
            .filter(customer_texts::locale.eq(locale))
            .filter(customer_texts::key.eq(key)),
    )
    .execute(conn)?
        > 0)
}

/// Who a sentence is for: the customer's language and the team of the takeover.
pub struct Listener {
    pub lang: Option<Lang>,
    pub team: Option<String>,
}

/// The language (the takeover's `locale`, else the web chat visitor's browser language) and
/// team name of a takeover's customer.
pub fn listener(conn: &mut DbConnection, t: &TakeoverRow) -> Result<Listener, ApiError> {
    let locale = match &t.locale {
        Some(l) => Some(l.clone()),
        None => widget_visitors::table
            .filter(widget_visitors::session_id.eq(&t.session_id))
            .select(widget_visitors::locale)
            .first::<Option<String>>(conn)
            .optional()?
            .flatten(),
    };
    let team = match &t.assignee_team_id {
        Some(id) => teams::table
            .find(id)
            .select(teams::name)
            .first::<String>(conn)
            .optional()?,
        None => None,
    };
    Ok(Listener {
        lang: locale.and_then(|l| Lang::parse(&l).ok()),
        team,
    })
}

/// The template for `key` for this listener (`team_default`: a team's own wording kept
/// elsewhere, the off-hours message).
pub fn template(
    conn: &mut DbConnection,
    who: &Listener,
    key: TextKey,
    team_default: Option<&str>,
) -> Result<String, ApiError> {
    let rows: Vec<TextRow> = customer_texts::table
        .filter(customer_texts::key.eq(key.as_str()))
        .load(conn)?;
    let overrides: Vec<Override> = rows
        .into_iter()
        .map(|r| Override {
            team: r.team,
            locale: r.locale,
            key: r.key,
            template: r.template,
        })
        .collect();
    Ok(texts::choose(
        key,
        who.lang.as_ref(),
        who.team.as_deref(),
        &overrides,
        team_default,
    ))
}

/// The sentence `key` for a takeover's customer, with its variables filled in.
pub fn say(
    conn: &mut DbConnection,
    t: &TakeoverRow,
    key: TextKey,
    vars: &[(&str, &str)],
) -> Result<String, ApiError> {
    let who = listener(conn, t)?;
    Ok(texts::render(&template(conn, &who, key, None)?, vars))
}

/// A new template row, stamped now.
pub fn row(team: &str, locale: &str, key: TextKey, template: &str) -> TextRow {
    TextRow {
        team: team.to_string(),
        locale: locale.to_string(),
        key: key.as_str().to_string(),
        template: template.to_string(),
        updated_at: now(),
    }
}
