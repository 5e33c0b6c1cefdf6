//! Canned responses in the inbox: the page where reviewers manage their personal ones and see
//! their teams' (`/inbox/canned`; admins manage every one there and under Admin · Canned
//! responses), and the list the reply box offers after `/`, with the conversation's values
//! filled in here on the server (`domain::canned::fill`) and handed to the script as a JSON
//! data block (the CSP allows no inline script; a data block is not executed). The forms go to
//! `/v1/canned-responses` like the admin pages' forms.

use maud::{html, Markup, PreEscaped};
use serde::Serialize;

use super::admin::{encode, form_error, live_key, page, Admin, Section};
use super::views::{layout, Chrome};
use crate::auth::ReviewerAuth;
use crate::db::canned::Canned;
use crate::domain::canned::{access, fill, Access, Vars, Viewer, MAX_CONTENT, MAX_TITLE};

/// The admin section: every canned response.
pub fn admin_page(a: &Admin<'_>, list: &[Canned], teams: &[String]) -> Markup {
    page(a, Section::Canned, body(a.reviewer, list, teams))
}

/// `/inbox/canned`: a reviewer's own canned responses and their teams' (read-only unless
/// they are an admin).
pub fn reviewer_page(
    reviewer: &ReviewerAuth,
    csrf: &str,
    list: &[Canned],
    teams: &[String],
) -> Markup {
    let chrome = Chrome {
        title: "Canned responses",
        reviewer: Some(reviewer),
        csrf: Some(csrf),
        page: "canned",
        session_id: None,
    };
    layout(
        &chrome,
        html! {
            h1 { "Canned responses" }
            (body(reviewer, list, teams))
        },
    )
}

fn body(r: &ReviewerAuth, list: &[Canned], teams: &[String]) -> Markup {
    let key = live_key(list.iter().map(|c| {
        format!(
            "{}|{}|{}|{}|{}",
            c.row.id, c.row.shortcut, c.row.title, c.row.content, c.row.updated_at
        )
    }));
    let (team_wide, personal): (Vec<&Canned>, Vec<&Canned>) =
        list.iter().partition(|c| c.row.team_id.is_some());
    let (mine, others): (Vec<&Canned>, Vec<&Canned>) = personal
        .into_iter()
        .partition(|c| c.row.owner_id.as_deref() == Some(r.id.as_str()));
    html! {
        p.muted {
            "In the reply box, type " kbd { "/" } " and a few letters of a shortcut or title, then Enter to insert. "
            "Variables are filled in for the conversation: " code { "{customer_name}" } " (the customer's name, else their user id), "
            code { "{reviewer}" } " (your display name) and " code { "{team}" } " (the conversation's team); any other "
            code { "{…}" } " stays as written."
        }
        details.tool.create {
            summary { "Add a canned response" }
            form data-api="POST" data-endpoint="/v1/canned-responses" data-success="Canned response added." {
                (fields("new", None))
                @if r.is_admin {
                    label for="new-team" { "For" }
                    select #new-team name="team" data-optional {
                        option value="" { "Only me (personal)" }
                        @for t in teams { option value=(t) { "Team " (t) } }
                    }
                } @else {
                    p.muted.small { "It is yours alone; admins add the ones a whole team shares." }
                }
                button.primary type="submit" { "Add canned response" }
                (form_error())
            }
        }
        div #canned data-live data-key=(key) {
            section.panel aria-labelledby="canned-team-title" {
                h2 #canned-team-title { "Team-wide" }
                (rows(r, &team_wide, "No team-wide canned responses yet."))
            }
            section.panel aria-labelledby="canned-mine-title" {
                h2 #canned-mine-title { "Mine" }
                (rows(r, &mine, "You have no personal canned responses yet."))
            }
            @if r.is_admin {
                section.panel aria-labelledby="canned-others-title" {
                    h2 #canned-others-title { "Other reviewers' personal ones" }
                    (rows(r, &others, "None."))
                }
            }
        }
    }
}

/// The shortcut, title and text inputs, empty or with a canned response's values.
fn fields(id: &str, c: Option<&Canned>) -> Markup {
    html! {
        label for={ (id) "-shortcut" } { "Shortcut" }
        input id={ (id) "-shortcut" } name="shortcut" required autocomplete="off" maxlength="40"
            pattern="[a-z0-9\\-]{1,40}" placeholder="e.g. refund-policy" aria-describedby={ (id) "-shortcut-hint" }
            value=[c.map(|c| c.row.shortcut.as_str())];
        p.muted.small id={ (id) "-shortcut-hint" } { "Lowercase letters, digits and -; typed after / in the reply box." }
        label for={ (id) "-title" } { "Title" }
        input id={ (id) "-title" } name="title" required autocomplete="off" maxlength=(MAX_TITLE)
            value=[c.map(|c| c.row.title.as_str())];
        label for={ (id) "-content" } { "Text" }
        textarea id={ (id) "-content" } name="content" rows="4" required maxlength=(MAX_CONTENT)
            placeholder="Hi {customer_name}, this is {reviewer} from {team}…" {
            @if let Some(c) = c { (c.row.content) }
        }
    }
}

fn rows(r: &ReviewerAuth, list: &[&Canned], empty: &str) -> Markup {
    let viewer = Viewer {
        id: &r.id,
        is_admin: r.is_admin,
        team_ids: &r.team_ids,
    };
    html! {
        ul.rows.admin.canned {
            @if list.is_empty() { li.empty { (empty) } }
            @for c in list {
                @let id = format!("cr-{}", c.row.id);
                @let endpoint = format!("/v1/canned-responses/{}", encode(&c.row.id));
                li.row.card {
                    div.line1 {
                        code.shortcut { "/" (c.row.shortcut) }
                        span.customer { (c.row.title) }
                        @if let Some(t) = &c.team { span.chip { "team " (t) } }
                        @if let Some(o) = &c.owner_display { @if c.row.owner_id.as_deref() != Some(r.id.as_str()) { span.chip { (o) } } }
                    }
                    p.canned-text { (c.row.content) }
                    @if access(c.row.owner(), viewer) == Access::Manage {
                        div.actions {
                            details.tool {
                                summary { "Edit " span.visually-hidden { "/" (c.row.shortcut) } }
                                form data-api="PATCH" data-endpoint=(endpoint) data-success="Saved." {
                                    (fields(&id, Some(c)))
                                    button.primary type="submit" { "Save " span.visually-hidden { "/" (c.row.shortcut) } }
                                    (form_error())
                                }
                            }
                            button.danger type="button" data-api="DELETE" data-endpoint=(endpoint)
                                data-confirm={ "Delete the canned response /" (c.row.shortcut) "?" }
                                data-success="Canned response deleted." { "Delete " span.visually-hidden { "/" (c.row.shortcut) } }
                        }
                    }
                }
            }
        }
    }
}

/// One canned response as the reply box offers it, its variables filled in.
#[derive(Clone, Debug, Serialize)]
pub struct Suggestion {
    pub shortcut: String,
    pub title: String,
    /// The text to insert.
    pub text: String,
    /// `team` or `personal`.
    pub scope: &'static str,
}

/// The canned responses usable in a conversation, filled in with its values.
pub fn suggestions(list: &[Canned], vars: &Vars<'_>) -> Vec<Suggestion> {
    list.iter()
        .map(|c| Suggestion {
            shortcut: c.row.shortcut.clone(),
            title: c.row.title.clone(),
            text: fill(&c.row.content, vars),
            scope: if c.row.team_id.is_some() {
                "team"
            } else {
                "personal"
            },
        })
        .collect()
}

/// The reply box's suggestion list: the data block the script reads, the (hidden) listbox it
/// fills, and a status line for screen readers.
pub fn composer_list(list: &[Suggestion]) -> Markup {
    // Inside <script> nothing is unescaped by the browser, so the JSON is written as is with
    // `<`, `>` and `&` escaped the JSON way: no text can close the block.
    let json = serde_json::to_string(list)
        .unwrap_or_else(|_| "[]".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    html! {
        script #canned-data type="application/json" { (PreEscaped(json)) }
        ul #canned-list .canned-list role="listbox" aria-label="Canned responses" hidden {}
        p #canned-status .visually-hidden role="status" aria-live="polite" {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_block_cannot_be_closed_by_a_text() {
        let list = vec![Suggestion {
            shortcut: "x".into(),
            title: "</script><script>alert(1)</script>".into(),
            text: "a & b".into(),
            scope: "team",
        }];
        let html = composer_list(&list).into_string();
        assert!(!html.contains("</script><script>"), "{html}");
        let start = html.find('[').unwrap();
        let end = html.find("</script>").unwrap();
        let back: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
        assert_eq!(back[0]["title"], "</script><script>alert(1)</script>");
        assert_eq!(back[0]["text"], "a & b");
    }
}
