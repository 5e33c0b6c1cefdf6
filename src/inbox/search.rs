//! The inbox's Search page (`/inbox/search`): a GET form (words or an id, filters, order) and
//! the conversations found, open and closed, each linking to its conversation page. It reads
//! through `db::search`, as `GET /v1/search` does, with the signed-in reviewer's visibility.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use maud::{html, Markup};
use serde::Deserialize;

use super::pages::{html as page, to_sign_in};
use super::views::{self, clock_at, display, outcome_label, reason_label, Chrome};
use crate::auth::{self, Caller, ReviewerAuth};
use crate::db::search::{self as repo, Found};
use crate::db::{accounts, now};
use crate::domain::search::{highlighted, RawSearch, Search, SearchSort, StatusFilter};
use crate::domain::session::SessionStatus;
use crate::domain::types::{Outcome, Reason};
use crate::error::ApiError;
use crate::routes::dto::inbox_url;
use crate::state::AppState;

/// The form as sent: every field as typed (blank ones filter nothing). Dates are days.
#[derive(Debug, Default, Deserialize)]
pub struct SearchForm {
    q: Option<String>,
    team: Option<String>,
    channel: Option<String>,
    reason: Option<String>,
    outcome: Option<String>,
    reviewer: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    sort: Option<String>,
    offset: Option<String>,
}

/// A day from a date field as the start of that day (UTC), or of the next one for `to`, so that
/// "to" includes the day it names.
fn day(
    field: &'static str,
    raw: Option<&str>,
    next: bool,
) -> Result<Option<String>, (&'static str, String)> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| (field, format!("{raw:?} is not a date such as 2026-12-06")))?;
    let date = if next {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    Ok(Some(format!("{date}T00:00:00Z")))
}

/// A select's value; its "Any" option sends a blank one.
fn chosen(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|v| !v.trim().is_empty())
}

pub async fn get_search(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Query<SearchForm>,
) -> Result<HttpResponse, ApiError> {
    let Some((reviewer, token)) = auth::cookie_reviewer(&req).await? else {
        return Ok(to_sign_in(&req));
    };
    let form = form.into_inner();
    let mut problems = Vec::new();
    let from = day("from", form.from.as_deref(), false).unwrap_or_else(|p| {
        problems.push(p);
        None
    });
    let to = day("to", form.to.as_deref(), true).unwrap_or_else(|p| {
        problems.push(p);
        None
    });
    let parsed = Search::parse(&RawSearch {
        q: form.q.as_deref(),
        team: form.team.as_deref(),
        channel: form.channel.as_deref(),
        reason: chosen(&form.reason),
        outcome: chosen(&form.outcome),
        reviewer: form.reviewer.as_deref(),
        status: chosen(&form.status),
        from: from.as_deref(),
        to: to.as_deref(),
        sort: chosen(&form.sort),
        limit: Some("50"),
        offset: form.offset.as_deref(),
    });
    let search = match parsed {
        Ok(s) if problems.is_empty() => Some(s),
        Ok(_) => None,
        Err(more) => {
            problems.extend(more);
            None
        }
    };
    // An empty form asks nothing of the database: listing every conversation without a word to
    // find reads them all (see docs/PERFORMANCE.md), so the page waits for a word or a filter.
    let asked = [
        &form.q,
        &form.team,
        &form.channel,
        &form.reason,
        &form.outcome,
        &form.reviewer,
        &form.status,
        &form.from,
        &form.to,
    ]
    .into_iter()
    .any(|v| chosen(v).is_some());
    let search = search.filter(|_| asked);
    let r = reviewer.clone();
    let (hits, teams, names) = state
        .db
        .read(move |conn| {
            let hits = match &search {
                Some(s) => repo::search(conn, &Caller::Reviewer(r), s)?,
                None => Vec::new(),
            };
            let (teams, reviewers) = accounts::directory(conn)?;
            let names: BTreeMap<String, String> = reviewers
                .into_iter()
                .map(|r| (r.name, r.display_name))
                .collect();
            let teams: Vec<String> = teams.into_iter().map(|t| t.name).collect();
            Ok((hits, teams, names))
        })
        .await?;
    let csrf = auth::csrf_token(&token);
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(page(
        status,
        search_page(&SearchView {
            reviewer: &reviewer,
            csrf: &csrf,
            form: &form,
            asked,
            problems: &problems,
            hits: &hits,
            teams: &teams,
            names: &names,
            now: now(),
        }),
    ))
}

struct SearchView<'a> {
    reviewer: &'a ReviewerAuth,
    csrf: &'a str,
    form: &'a SearchForm,
    /// Whether anything was asked (an empty form lists nothing).
    asked: bool,
    problems: &'a [(&'static str, String)],
    hits: &'a [Found],
    teams: &'a [String],
    names: &'a BTreeMap<String, String>,
    now: NaiveDateTime,
}

fn value(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

/// A `select` of fixed values with an "Any" first; the sent value stays selected.
fn choice(id: &str, label: &str, sent: &Option<String>, options: &[(&str, String)]) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            select #(id) name=(id) {
                option value="" { "Any" }
                @for (v, text) in options {
                    option value=(v) selected[sent.as_deref() == Some(*v)] { (text) }
                }
            }
        }
    }
}

fn search_page(v: &SearchView<'_>) -> Markup {
    let chrome = Chrome {
        title: "Search",
        reviewer: Some(v.reviewer),
        csrf: Some(v.csrf),
        page: "search",
        session_id: None,
    };
    let f = v.form;
    let teams: Vec<(&str, String)> = v.teams.iter().map(|t| (t.as_str(), t.clone())).collect();
    let reviewers: Vec<(&str, String)> = v
        .names
        .iter()
        .map(|(name, shown)| (name.as_str(), shown.clone()))
        .collect();
    let reasons: Vec<(&str, String)> = Reason::NAMES
        .iter()
        .map(|r| (*r, reason_label(r).to_string()))
        .collect();
    let outcomes: Vec<(&str, String)> = Outcome::NAMES
        .iter()
        .filter_map(|o| Outcome::parse(o).map(|p| (*o, outcome_label(p).to_string())))
        .collect();
    let statuses: Vec<(&str, String)> = vec![
        (StatusFilter::Open.as_str(), "Open".into()),
        (StatusFilter::Closed.as_str(), "Closed".into()),
    ];
    let sorts: [(SearchSort, &str); 3] = [
        (SearchSort::Recent, "Latest activity first"),
        (SearchSort::Oldest, "Oldest activity first"),
        (SearchSort::Relevance, "Best match first"),
    ];
    views::layout(
        &chrome,
        html! {
            h1 { "Search conversations" }
            form.search method="get" action="/inbox/search" role="search" aria-label="Conversations" {
                div.searchbox {
                    label for="q" { "Words, session id or user id" }
                    div.searchline {
                        input #q name="q" type="search" value=(value(&f.q)) maxlength="200"
                            autocomplete="off" aria-describedby="q-hint";
                        button.primary type="submit" { "Search" }
                    }
                    p #q-hint .muted.small { "Finds every word in any message, over open and closed conversations. Press / to come back here." }
                }
                details.filters open[[&f.team, &f.channel, &f.reason, &f.outcome, &f.reviewer, &f.status, &f.from, &f.to].into_iter().any(|v| chosen(v).is_some())] {
                    summary { "Filters and order" }
                    div.fields {
                        (choice("team", "Team", &f.team, &teams))
                        div.field {
                            label for="channel" { "Channel" }
                            input #channel name="channel" value=(value(&f.channel)) placeholder="telegram, whatsapp, web…";
                        }
                        (choice("reason", "Reason", &f.reason, &reasons))
                        (choice("outcome", "Outcome", &f.outcome, &outcomes))
                        (choice("reviewer", "Held by", &f.reviewer, &reviewers))
                        (choice("status", "Status", &f.status, &statuses))
                        div.field {
                            label for="from" { "Active from" }
                            input #from name="from" type="date" value=(value(&f.from));
                        }
                        div.field {
                            label for="to" { "Active until" }
                            input #to name="to" type="date" value=(value(&f.to));
                        }
                        div.field {
                            label for="sort" { "Order" }
                            select #sort name="sort" {
                                @for (s, text) in sorts {
                                    option value=(s.as_str()) selected[f.sort.as_deref() == Some(s.as_str())] { (text) }
                                }
                            }
                        }
                    }
                    p.muted.small { "Dates are days in UTC; “Active until” includes the day." }
                }
            }
            @if !v.problems.is_empty() {
                div.error role="alert" {
                    p { "Please correct:" }
                    ul { @for (field, message) in v.problems { li { strong { (field) } ": " (message) } } }
                }
            }
            section #results aria-label="Results" {
                @if !v.asked {
                    p.muted role="status" { "Type words, a session id or a user id, or choose a filter, then Search." }
                } @else if v.problems.is_empty() {
                    p.muted.small role="status" {
                        @if v.hits.is_empty() { "No conversation found." }
                        @else if v.hits.len() == 1 { "1 conversation" }
                        @else { (v.hits.len()) " conversations" }
                    }
                }
                ul.rows {
                    @for h in v.hits { (hit_row(h, v)) }
                }
                (pages(v))
            }
        },
    )
}

/// How many results the page shows at once.
const PAGE: i64 = 50;

/// Links to the previous and next page of the same search.
fn pages(v: &SearchView<'_>) -> Markup {
    let offset: i64 = v
        .form
        .offset
        .as_deref()
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let more = v.hits.len() as i64 == PAGE && offset + PAGE <= crate::domain::search::MAX_OFFSET;
    if offset == 0 && !more {
        return html! {};
    }
    let link = |at: i64| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        let f = v.form;
        for (name, value) in [
            ("q", &f.q),
            ("team", &f.team),
            ("channel", &f.channel),
            ("reason", &f.reason),
            ("outcome", &f.outcome),
            ("reviewer", &f.reviewer),
            ("status", &f.status),
            ("from", &f.from),
            ("to", &f.to),
            ("sort", &f.sort),
        ] {
            if let Some(value) = value.as_deref().filter(|x| !x.is_empty()) {
                q.append_pair(name, value);
            }
        }
        if at > 0 {
            q.append_pair("offset", &at.to_string());
        }
        format!("/inbox/search?{}", q.finish())
    };
    html! {
        nav.pages aria-label="Result pages" {
            @if offset > 0 {
                a rel="prev" href=(link((offset - PAGE).max(0))) { "← Previous " (PAGE) }
            }
            span.muted.small { "Conversations " (offset + 1) "–" (offset + v.hits.len() as i64) }
            @if more {
                a rel="next" href=(link(offset + PAGE)) { "Next " (PAGE) " →" }
            }
        }
    }
}

fn hit_row(found: &Found, v: &SearchView<'_>) -> Markup {
    let h = &found.hit;
    let status = SessionStatus::parse(&h.status);
    let closed = status == Some(SessionStatus::Closed);
    html! {
        li.row.hit {
            a.rowlink href=(inbox_url("", &h.session_id)) {
                div.line1 {
                    span.customer { (h.session_id) }
                    @if let Some(ch) = &h.channel { span.chip { (ch) } }
                    span.chip.status.ended[closed] { @if closed { "Closed" } @else { "Open" } }
                    span.reason { (reason_label(&h.reason)) }
                }
                @if let Some(snippet) = &found.snippet {
                    p.summary.snippet {
                        @for (text, matched) in highlighted(snippet) {
                            @if matched { mark { (text) } } @else { (text) }
                        }
                    }
                }
                div.meta {
                    @if let Some(user) = &h.user_id { span { "User " (user) } }
                    @if let Some(team) = &h.team { span { "Team " strong { (team) } } }
                    @if let Some(by) = &h.claimed_by { span { "Held by " strong { (display(v.names, by)) } } }
                    @if let Some(o) = h.outcome.as_deref().and_then(Outcome::parse) { span { (outcome_label(o)) } }
                    span { "Last activity " (clock_at(h.updated_at, v.now)) }
                }
            }
        }
    }
}
