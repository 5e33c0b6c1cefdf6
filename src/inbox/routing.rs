//! The team routing admin page: assignment policy, offer timeout, reviewers' capacity, and
//! business hours. The form is sent by the script to `PUT /v1/teams/{team}/routing` and
//! `PUT /v1/reviewers/{name}/routing`.

use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};

use super::pages::{html as page, to_sign_in};
use super::views::{layout, message_page, Chrome};
use crate::auth;
use crate::domain::hours::{BusinessHoursBody, OffHoursAction, OpeningIntervalBody};
use crate::domain::routing::AssignmentPolicy;
use crate::error::ApiError;
use crate::routes::dto::{find_team, team_view, TeamRouting};
use crate::state::AppState;

const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

fn day<'a>(b: &'a BusinessHoursBody, key: &str) -> &'a [OpeningIntervalBody] {
    let w = &b.weekly;
    match key {
        "mon" => &w.mon,
        "tue" => &w.tue,
        "wed" => &w.wed,
        "thu" => &w.thu,
        "fri" => &w.fri,
        "sat" => &w.sat,
        _ => &w.sun,
    }
}

/// "09:00-12:00, 13:00-17:30": how a day's intervals are written in the form.
fn intervals_text(intervals: &[OpeningIntervalBody]) -> String {
    intervals
        .iter()
        .map(|i| format!("{}-{}", i.open, i.close))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn get_team_routing_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Some((reviewer, token)) = auth::cookie_reviewer(&req).await? else {
        return Ok(to_sign_in(&req));
    };
    if !reviewer.is_admin {
        return Ok(page(
            actix_web::http::StatusCode::FORBIDDEN,
            message_page("Admins only", "Team routing is set by an admin."),
        ));
    }
    let name = path.into_inner();
    let view = state
        .db
        .read(move |conn| {
            let team = find_team(conn, &name)?;
            team_view(conn, &team)
        })
        .await;
    let view = match view {
        Ok(v) => v,
        Err(e) if e.kind == crate::error::Kind::NotFound => {
            return Ok(page(
                actix_web::http::StatusCode::NOT_FOUND,
                message_page("No such team", "Create the team first."),
            ))
        }
        Err(e) => return Err(e),
    };
    let csrf = auth::csrf_token(&token);
    let chrome = Chrome {
        title: "Team routing",
        reviewer: Some(&reviewer),
        csrf: Some(&csrf),
        page: "admin",
        session_id: None,
    };
    Ok(page(
        actix_web::http::StatusCode::OK,
        layout(&chrome, routing_form(&view)),
    ))
}

fn routing_form(t: &TeamRouting) -> Markup {
    let hours = t.business_hours.as_ref();
    let policy = |p: AssignmentPolicy| (t.policy == p).then_some("selected");
    let action = hours.map(|h| h.off_hours_action).unwrap_or_default();
    html! {
        section.card {
            h1 { "Routing for " (t.team) }
            p.muted {
                @if t.open { "Open now" @if let Some(c) = t.closes_at { " · closes " (c.format("%a %H:%M UTC")) } }
                @else { "Closed now" @if let Some(o) = t.opens_at { " · opens " (o.format("%a %H:%M UTC")) } }
            }
            form #routing-form data-team=(t.team) {
                fieldset {
                    legend { "Assignment" }
                    label for="policy" { "Policy" }
                    select #policy name="policy" {
                        option value="manual" selected=[policy(AssignmentPolicy::Manual)] { "Manual: reviewers claim from the queue" }
                        option value="round_robin" selected=[policy(AssignmentPolicy::RoundRobin)] { "Round robin among online reviewers" }
                        option value="least_busy" selected=[policy(AssignmentPolicy::LeastBusy)] { "Least busy online reviewer" }
                    }
                    label for="offer_timeout" { "Offer expires after (seconds, or 90s / 2m)" }
                    input #offer_timeout name="offer_timeout" value=(t.offer_timeout_seconds) inputmode="numeric";
                    table.capacity {
                        caption { "Reviewers (capacity: most conversations at once; empty = no limit)" }
                        thead { tr { th scope="col" { "Reviewer" } th scope="col" { "Availability" } th scope="col" { "Open now" } th scope="col" { "Capacity" } } }
                        tbody {
                            @for r in &t.reviewers {
                                tr {
                                    th scope="row" { (r.display_name) " " span.muted { "(" (r.name) ")" } }
                                    td { (r.availability.as_str()) }
                                    td { (r.load) }
                                    td {
                                        input type="number" min="1" max="100" data-capacity=(r.name)
                                            data-was=(r.capacity.map(|c| c.to_string()).unwrap_or_default())
                                            value=(r.capacity.map(|c| c.to_string()).unwrap_or_default())
                                            aria-label={ "Capacity of " (r.display_name) };
                                    }
                                }
                            }
                        }
                    }
                }
                fieldset {
                    legend { "Business hours" }
                    label.check {
                        input #hours_enabled type="checkbox" name="hours_enabled" checked[hours.is_some()];
                        " This team keeps business hours (unchecked: always open)"
                    }
                    label for="timezone" { "Time zone (IANA, e.g. Europe/Berlin)" }
                    input #timezone name="timezone" value=(hours.map(|h| h.timezone.as_str()).unwrap_or("UTC"));
                    p.muted { "Opening hours per day, like 09:00-12:00, 13:00-17:30. Empty means closed." }
                    @for (key, label) in DAYS {
                        label for={ "day-" (key) } { (label) }
                        input id={ "day-" (key) } data-day=(key)
                            value=(hours.map(|h| intervals_text(day(h, key))).unwrap_or_else(|| if key == "sat" || key == "sun" { String::new() } else { "09:00-17:00".into() }));
                    }
                    label for="holidays" { "Holidays (one date per line, YYYY-MM-DD)" }
                    textarea #holidays name="holidays" rows="3" { (hours.map(|h| h.holidays.join("\n")).unwrap_or_default()) }
                    label for="off_hours_message" { "Message when closed ({opens_at} becomes the next opening)" }
                    textarea #off_hours_message name="off_hours_message" rows="2" {
                        (hours.map(|h| h.off_hours_message.as_str()).unwrap_or("We're closed right now. A person will answer from {opens_at}."))
                    }
                    label for="off_hours_action" { "When closed" }
                    select #off_hours_action name="off_hours_action" {
                        option value="queue" selected[action == OffHoursAction::Queue] { "Queue the request for the opening" }
                        option value="handback" selected[action == OffHoursAction::Handback] { "Hand back to the AI" }
                    }
                }
                p.formerror role="alert" {}
                button type="submit" { "Save routing" }
            }
            p { a href="/inbox/admin/teams" { "Back to the teams" } }
        }
    }
}
