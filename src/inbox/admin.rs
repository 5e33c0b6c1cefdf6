//! The admin pages of the inbox: reviewers, teams, API keys and escalation policies (the web
//! chat's widget keys are in `inbox::widgets`, the customer texts in `inbox::texts`, the canned
//! responses in `inbox::canned`, the WhatsApp templates in `inbox::templates`). Each is a
//! server-rendered list with forms; the forms carry `data-api` (method and endpoint) and the
//! script sends them to the JSON API with the CSRF header, then refreshes the `data-live`
//! lists. Field conventions the script reads: `data-type="bool"` (a checkbox sent as true or
//! false), `data-type="list"` (checkboxes sent as an array of the checked values),
//! `data-optional` (left out when empty), `{field}` in an endpoint (taken from that field), and
//! `data-rows` (repeated rows sent as an array of objects), and a dotted name (`header.format`)
//! (sent as a field of an object; the object is left out when all its fields are).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use maud::{html, Markup};

use super::views::{clock, layout, Chrome};
use crate::auth::ReviewerAuth;
use crate::db::accounts::{ReviewerWithTeams, TeamWithMembers};
use crate::db::models::ApiKeyRow;
use crate::domain::policy::{FallbackAction, StoredStep};

/// The admin sections, in the order of their tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Reviewers,
    Teams,
    ApiKeys,
    Escalation,
    Texts,
    Canned,
    Templates,
    Widgets,
}

impl Section {
    pub const ALL: [Section; 8] = [
        Section::Reviewers,
        Section::Teams,
        Section::ApiKeys,
        Section::Escalation,
        Section::Texts,
        Section::Canned,
        Section::Templates,
        Section::Widgets,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Section::Reviewers => "reviewers",
            Section::Teams => "teams",
            Section::ApiKeys => "api-keys",
            Section::Escalation => "escalation",
            Section::Texts => "customer-texts",
            Section::Canned => "canned-responses",
            Section::Templates => "whatsapp-templates",
            Section::Widgets => "web-chat",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Section::Reviewers => "Reviewers",
            Section::Teams => "Teams",
            Section::ApiKeys => "API keys",
            Section::Escalation => "Escalation policies",
            Section::Texts => "Customer texts",
            Section::Canned => "Canned responses",
            Section::Templates => "WhatsApp templates",
            Section::Widgets => "Web chat",
        }
    }

    pub fn parse(slug: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.slug() == slug)
    }
}

/// What every admin page shares.
pub struct Admin<'a> {
    pub reviewer: &'a ReviewerAuth,
    pub csrf: &'a str,
}

pub(super) fn page(a: &Admin<'_>, section: Section, body: Markup) -> Markup {
    let title = format!("Admin · {}", section.title());
    let chrome = Chrome {
        title: &title,
        reviewer: Some(a.reviewer),
        csrf: Some(a.csrf),
        page: "admin",
        session_id: None,
    };
    layout(
        &chrome,
        html! {
            nav.tabs aria-label="Admin sections" {
                @for s in Section::ALL {
                    a href={ "/inbox/admin/" (s.slug()) } aria-current=[(s == section).then_some("page")] { (s.title()) }
                }
            }
            h1 { (section.title()) }
            (body)
        },
    )
}

/// A key for `data-live`: changes whenever what the list shows changes.
pub(super) fn live_key(parts: impl IntoIterator<Item = String>) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    format!("{:x}", h.finish())
}

pub(super) fn form_error() -> Markup {
    html! { p.formerror role="alert" {} }
}

fn team_checkboxes(id: &str, teams: &[String], checked: &[String]) -> Markup {
    html! {
        fieldset.checks {
            legend { "Teams" }
            @if teams.is_empty() { p.muted.small { "No teams yet: add one under Teams." } }
            @for (i, t) in teams.iter().enumerate() {
                label.check {
                    input type="checkbox" id=(format!("{id}-team-{i}")) name="teams" value=(t)
                        data-type="list" checked[checked.contains(t)];
                    " " (t)
                }
            }
        }
    }
}

// ---- Reviewers ----

pub fn reviewers(a: &Admin<'_>, list: &[ReviewerWithTeams], teams: &[String]) -> Markup {
    let key = live_key(list.iter().map(|r| {
        format!(
            "{}|{}|{:?}|{}|{:?}",
            r.reviewer.name,
            r.reviewer.display_name,
            r.teams,
            r.reviewer.is_admin,
            r.reviewer.disabled_at
        )
    }));
    page(
        a,
        Section::Reviewers,
        html! {
            details.tool.create {
                summary { "Add a reviewer" }
                form data-api="POST" data-endpoint="/v1/reviewers" data-success="Reviewer added." {
                    label for="new-name" { "Sign-in name" }
                    input #new-name name="name" required autocomplete="off" aria-describedby="new-name-hint";
                    p #new-name-hint .muted.small { "Letters, digits and . _ - @; shown in the history as the reviewer." }
                    label for="new-display" { "Display name (what customers see)" }
                    input #new-display name="display_name" data-optional autocomplete="off";
                    label for="new-password" { "Password (at least 8 characters)" }
                    input #new-password name="password" type="password" required minlength="8" autocomplete="new-password";
                    (team_checkboxes("new", teams, &[]))
                    label.check { input #new-admin type="checkbox" name="admin" data-type="bool"; " Admin (sees every team, manages Baton)" }
                    button.primary type="submit" { "Add reviewer" }
                    (form_error())
                }
            }
            ul.rows.admin #reviewers data-live data-key=(key) aria-label="Reviewers" {
                @for (i, r) in list.iter().enumerate() { (reviewer_row(a, i, r, teams)) }
            }
        },
    )
}

fn reviewer_row(a: &Admin<'_>, i: usize, r: &ReviewerWithTeams, teams: &[String]) -> Markup {
    let row = &r.reviewer;
    let endpoint = format!("/v1/reviewers/{}", encode(&row.name));
    let id = format!("r{i}");
    html! {
        li.row.card.disabled[row.disabled_at.is_some()] {
            div.line1 {
                span.customer { (row.display_name) }
                span.muted { "(" (row.name) ")" }
                @if row.is_admin { span.chip.prio { "admin" } }
                @if row.disabled_at.is_some() { span.chip.off { "disabled" } }
                @if row.name == a.reviewer.name { span.chip { "you" } }
            }
            div.meta {
                span { "Teams: " @if r.teams.is_empty() { "none" } @else { (r.teams.join(", ")) } }
                span { "Added " (row.created_at.format("%Y-%m-%d")) }
            }
            div.actions {
                details.tool {
                    summary { "Edit " span.visually-hidden { (row.name) } }
                    form data-api="PATCH" data-endpoint=(endpoint) data-success="Saved." {
                        label for={ (id) "-display" } { "Display name" }
                        input id={ (id) "-display" } name="display_name" value=(row.display_name) required;
                        (team_checkboxes(&id, teams, &r.teams))
                        label.check {
                            input id={ (id) "-admin" } type="checkbox" name="admin" data-type="bool" checked[row.is_admin];
                            " Admin"
                        }
                        label for={ (id) "-password" } { "New password (leave empty to keep it)" }
                        input id={ (id) "-password" } name="password" type="password" data-optional minlength="8" autocomplete="new-password"
                            aria-describedby={ (id) "-password-hint" };
                        p.muted.small id={ (id) "-password-hint" } { "A new password signs the reviewer out everywhere." }
                        button.primary type="submit" { "Save " span.visually-hidden { (row.name) } }
                        (form_error())
                    }
                }
                @if row.name == a.reviewer.name {
                    // Disabling yourself would sign you out; with one admin, nobody could undo it.
                } @else if row.disabled_at.is_some() {
                    button type="button" data-api="PATCH" data-endpoint=(endpoint) data-body=r#"{"disabled":false}"#
                        data-success="Enabled." { "Enable " span.visually-hidden { (row.name) } }
                } @else {
                    button.danger type="button" data-api="PATCH" data-endpoint=(endpoint) data-body=r#"{"disabled":true}"#
                        data-confirm={ "Disable " (row.name) "? They are signed out at once and the conversations they hold go back to the queue." }
                        data-success="Disabled." { "Disable " span.visually-hidden { (row.name) } }
                }
            }
        }
    }
}

// ---- Teams ----

pub fn teams(a: &Admin<'_>, list: &[TeamWithMembers]) -> Markup {
    let key = live_key(list.iter().map(|t| {
        format!(
            "{}|{:?}|{:?}",
            t.team.name, t.members, t.team.outside_quiet_seconds
        )
    }));
    page(
        a,
        Section::Teams,
        html! {
            form.inline data-api="PUT" data-endpoint="/v1/teams/{name}" data-success="Team added." {
                label for="team-name" { "New team" }
                div.row2 {
                    input #team-name name="name" required autocomplete="off" placeholder="e.g. billing";
                    button.primary type="submit" { "Add team" }
                }
                (form_error())
            }
            p.muted.small { "Members are set on each reviewer (Reviewers → Edit)." }
            ul.rows.admin #teams data-live data-key=(key) aria-label="Teams" {
                @if list.is_empty() { li.empty { "No teams yet." } }
                @for t in list { (team_card(t)) }
            }
        },
    )
}

/// One team. Its settings forms go here as they are added (routing: assignment policy,
/// capacity, business hours), each submitting to `PUT /v1/teams/{team}`.
fn team_card(t: &TeamWithMembers) -> Markup {
    let name = &t.team.name;
    let quiet = crate::domain::staff::quiet_seconds(t.team.outside_quiet_seconds);
    let quiet_id = format!("quiet-{}", t.team.id);
    html! {
        li.row.card {
            div.line1 {
                span.customer { (name) }
                span.muted { (t.members.len()) " member" @if t.members.len() != 1 { "s" } }
            }
            div.meta {
                span { "Members: " @if t.members.is_empty() { "none" } @else { (t.members.join(", ")) } }
                span {
                    "Replies from outside Baton silence the AI for "
                    (super::views::span(quiet))
                    @if t.team.outside_quiet_seconds.is_none() { " (default)" }
                }
            }
            form.inline data-api="PUT" data-endpoint={ "/v1/teams/" (encode(name)) }
                data-success="Quiet time saved." {
                label for=(quiet_id) { "Quiet time after a reply from outside Baton" }
                div.row2 {
                    input id=(quiet_id) name="outside_quiet_time" data-optional required autocomplete="off"
                        placeholder="e.g. 30m" value=[t.team.outside_quiet_seconds.map(|s| format!("{s}s"))]
                        aria-describedby={ (quiet_id) "-hint" };
                    button type="submit" { "Save " span.visually-hidden { "quiet time of team " (name) } }
                }
                p.muted.small id={ (quiet_id) "-hint" } {
                    "After a person answers from another tool (sender staff), the AI stays silent until this much time passes without another such reply: e.g. 30m, 2h or seconds."
                }
                (form_error())
            }
            div.actions {
                a.button href={ "/inbox/admin/teams/" (encode(name)) "/routing" } {
                    "Routing and hours " span.visually-hidden { "of team " (name) }
                }
                button.danger type="button" data-api="DELETE" data-endpoint={ "/v1/teams/" (encode(name)) }
                    data-confirm={ "Delete team " (name) "? Its members leave it; past conversations keep its name." }
                    data-success="Team deleted." { "Delete " span.visually-hidden { "team " (name) } }
            }
        }
    }
}

// ---- API keys ----

pub fn api_keys(a: &Admin<'_>, list: &[ApiKeyRow]) -> Markup {
    let key = live_key(list.iter().map(|k| format!("{}|{:?}", k.id, k.revoked_at)));
    page(
        a,
        Section::ApiKeys,
        html! {
            p.muted { "An API key lets an integration (n8n) use Baton; its signing secret verifies Baton's callbacks." }
            form.inline data-api="POST" data-endpoint="/v1/api-keys" data-result="new-key" data-success="Key created." {
                label for="key-name" { "New key for" }
                div.row2 {
                    input #key-name name="name" required autocomplete="off" placeholder="e.g. n8n production";
                    button.primary type="submit" { "Create key" }
                }
                (form_error())
            }
            section.panel.secret #new-key hidden aria-labelledby="new-key-title" tabindex="-1" {
                h2 #new-key-title { "Copy these now: they are not shown again" }
                p.muted.small { "Put the key into n8n's Baton credential, and the signing secret beside it to verify callbacks." }
                label for="new-key-value" { "API key" }
                div.row2 {
                    input #new-key-value readonly data-field="key";
                    button type="button" data-copy="new-key-value" { "Copy key" }
                }
                label for="new-key-secret" { "Signing secret" }
                div.row2 {
                    input #new-key-secret readonly data-field="signing_secret";
                    button type="button" data-copy="new-key-secret" { "Copy secret" }
                }
            }
            div.tablewrap #api-keys data-live data-key=(key) {
                table.list {
                    caption.visually-hidden { "API keys" }
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Created" } th scope="col" { "Status" } th scope="col" { span.visually-hidden { "Actions" } } } }
                    tbody {
                        @if list.is_empty() { tr { td colspan="4" { "No keys yet." } } }
                        @for k in list {
                            tr {
                                th scope="row" { (k.name) br; code.small { (k.id) } }
                                td { (clock(k.created_at)) }
                                td {
                                    @match k.revoked_at {
                                        Some(at) => { span.chip.off { "revoked" } " " (at.format("%Y-%m-%d")) }
                                        None => { span.chip { "active" } }
                                    }
                                }
                                td {
                                    @if k.revoked_at.is_none() {
                                        button.danger type="button" data-api="DELETE" data-endpoint={ "/v1/api-keys/" (k.id) }
                                            data-confirm={ "Revoke the key " (k.name) "? Integrations using it are refused at once." }
                                            data-success="Key revoked." { "Revoke " span.visually-hidden { (k.name) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

// ---- Escalation policies ----

/// An escalation policy as the page shows it.
pub struct PolicyView {
    pub name: String,
    pub team: Option<String>,
    pub steps: Vec<StoredStep>,
    pub fallback_message: String,
    pub fallback_action: FallbackAction,
    pub updated_at: NaiveDateTime,
}

/// Teams and reviewers a step can name.
pub struct Assignees<'a> {
    pub teams: &'a [String],
    pub reviewers: &'a BTreeMap<String, String>,
}

/// "90s", "10m", "2h", "1d": the shortest exact way to write a wait.
pub fn wait_text(seconds: i64) -> String {
    match seconds {
        s if s > 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

pub fn escalation(
    a: &Admin<'_>,
    list: &[PolicyView],
    who: &Assignees<'_>,
    default_message: &str,
) -> Markup {
    let key = live_key(list.iter().map(|p| format!("{}|{}", p.name, p.updated_at)));
    page(
        a,
        Section::Escalation,
        html! {
            p.muted {
                "When nobody claims a takeover within its timeout, its policy hands it to the next team or reviewer, "
                "step by step; after the last step the customer gets the fallback message."
            }
            details.tool.create {
                summary { "Add a policy" }
                (policy_form("new", None, who, default_message))
            }
            ul.rows.admin #policies data-live data-key=(key) aria-label="Escalation policies" {
                @if list.is_empty() { li.empty { "No policies yet: takeovers fall back as soon as their timeout runs out." } }
                @for (i, p) in list.iter().enumerate() {
                    li.row.card {
                        div.line1 {
                            span.customer { (p.name) }
                            @if let Some(t) = &p.team { span.chip { "team " (t) } }
                            span.muted.small { "then " (match p.fallback_action { FallbackAction::Handback => "hand back to the AI", FallbackAction::Close => "close" }) }
                        }
                        ol.steps {
                            @for s in &p.steps { li { (s.assignee) " · " (wait_text(s.wait_seconds)) } }
                            li.muted { "Fallback: “" (p.fallback_message) "”" }
                        }
                        div.actions {
                            details.tool {
                                summary { "Edit " span.visually-hidden { (p.name) } }
                                (policy_form(&format!("p{i}"), Some(p), who, default_message))
                            }
                            button.danger type="button" data-api="DELETE" data-endpoint={ "/v1/escalation-policies/" (encode(&p.name)) }
                                data-confirm={ "Delete the policy " (p.name) "?" }
                                data-success="Policy deleted." { "Delete " span.visually-hidden { (p.name) } }
                        }
                    }
                }
            }
        },
    )
}

fn assignee_select(id: &str, who: &Assignees<'_>, selected: Option<&str>) -> Markup {
    html! {
        select id=(id) name="assignee" required {
            option value="" { "Choose…" }
            optgroup label="Teams" {
                @for t in who.teams { option value=(t) selected[selected == Some(t.as_str())] { (t) } }
            }
            optgroup label="Reviewers" {
                @for (name, shown) in who.reviewers {
                    option value=(name) selected[selected == Some(name.as_str())] { (shown) " (" (name) ")" }
                }
            }
        }
    }
}

fn step_row(id: &str, who: &Assignees<'_>, step: Option<&StoredStep>) -> Markup {
    html! {
        div.steprow data-row {
            div {
                label for={ (id) "-assignee" } { "Hand to" }
                (assignee_select(&format!("{id}-assignee"), who, step.map(|s| s.assignee.as_str())))
            }
            div {
                label for={ (id) "-wait" } { "Wait" }
                input id={ (id) "-wait" } name="wait" required placeholder="10m"
                    value=[step.map(|s| wait_text(s.wait_seconds))];
            }
            button type="button" data-remove-row { "Remove step" }
        }
    }
}

fn policy_form(
    id: &str,
    p: Option<&PolicyView>,
    who: &Assignees<'_>,
    default_message: &str,
) -> Markup {
    let endpoint = match p {
        Some(p) => format!("/v1/escalation-policies/{}", encode(&p.name)),
        None => "/v1/escalation-policies/{name}".into(),
    };
    let steps: Vec<Option<&StoredStep>> = match p {
        Some(p) if !p.steps.is_empty() => p.steps.iter().map(Some).collect(),
        Some(_) => Vec::new(),
        None => vec![None],
    };
    html! {
        form data-api="PUT" data-endpoint=(endpoint) data-success="Policy saved." {
            @if p.is_none() {
                label for={ (id) "-name" } { "Name" }
                input id={ (id) "-name" } name="name" required autocomplete="off" placeholder="e.g. support-default";
            }
            label for={ (id) "-team" } { "Applies to the takeovers of team" }
            select id={ (id) "-team" } name="team" data-optional {
                option value="" { "No team (named by requests only)" }
                @for t in who.teams {
                    option value=(t) selected[p.and_then(|p| p.team.as_deref()) == Some(t.as_str())] { (t) }
                }
            }
            fieldset.steps {
                legend { "Steps, in order" }
                div data-rows="steps" id={ (id) "-steps" } {
                    @for (n, s) in steps.iter().enumerate() { (step_row(&format!("{id}-s{n}"), who, *s)) }
                }
                template id={ (id) "-step-template" } { (step_row(&format!("{id}-sNEW"), who, None)) }
                button type="button" data-add-row={ (id) "-step-template" } data-into={ (id) "-steps" } { "Add step" }
            }
            label for={ (id) "-message" } { "Fallback message to the customer" }
            textarea id={ (id) "-message" } name="fallback_message" rows="2" data-optional placeholder=(default_message) {
                @if let Some(p) = p { (p.fallback_message) }
            }
            label for={ (id) "-action" } { "Then" }
            select id={ (id) "-action" } name="fallback_action" {
                option value="handback" selected[p.is_none_or(|p| p.fallback_action == FallbackAction::Handback)] { "Hand back to the AI" }
                option value="close" selected[p.is_some_and(|p| p.fallback_action == FallbackAction::Close)] { "Close the conversation" }
            }
            button.primary type="submit" { "Save policy" }
            (form_error())
        }
    }
}

/// A path segment, percent-encoded.
pub(crate) fn encode(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_written_the_short_way() {
        assert_eq!(wait_text(90), "90s");
        assert_eq!(wait_text(600), "10m");
        assert_eq!(wait_text(7200), "2h");
        assert_eq!(wait_text(86_400), "1d");
        assert_eq!(wait_text(0), "0s");
    }
}
