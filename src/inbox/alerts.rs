//! The Notifications page (`/inbox/notifications`, every reviewer): their own alert e-mail
//! settings, as `GET /v1/me/alerts` answers them (the same `routes::dto::alert_settings`), and a form
//! the script sends to `PUT /v1/me/alerts`; the API's field problems are shown next to their
//! fields and in a summary, a save is confirmed in a message that takes the focus. Says so
//! plainly when the server has no mail server (`BATON_SMTP_URL`), so nothing would be sent.

use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};

use super::pages::{html as page, to_sign_in};
use super::views::{clock, layout, Chrome};
use crate::auth::{self, ReviewerAuth};
use crate::db::alerts as db_alerts;
use crate::error::ApiError;
use crate::routes::dto::{alert_settings as view, AlertSettings, MailSetting};
use crate::state::AppState;

/// Offered when no quiet hours are stored yet (the box stays unticked).
const QUIET_START: &str = "22:00";
const QUIET_END: &str = "07:00";

pub async fn get_notifications(
    state: web::Data<AppState>,
    mail: web::Data<MailSetting>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let Some((reviewer, token)) = auth::cookie_reviewer(&req).await? else {
        return Ok(to_sign_in(&req));
    };
    let id = reviewer.id.clone();
    let row = state
        .db
        .read(move |conn| db_alerts::settings(conn, &id))
        .await?;
    let settings = view(row, mail.configured);
    let csrf = auth::csrf_token(&token);
    Ok(page(
        actix_web::http::StatusCode::OK,
        notifications_page(&reviewer, &csrf, &settings),
    ))
}

/// The page for `reviewer` showing `s`.
pub fn notifications_page(reviewer: &ReviewerAuth, csrf: &str, s: &AlertSettings) -> Markup {
    let chrome = Chrome {
        title: "Notifications",
        reviewer: Some(reviewer),
        csrf: Some(csrf),
        page: "notifications",
        session_id: None,
    };
    let quiet = s.quiet_hours.as_ref();
    html! {
        (layout(&chrome, html! {
            h1 { "Notifications" }
            p.muted {
                "E-mail alerts reach you while a conversation waits unclaimed: when it is requested for you or your team, "
                "at each escalation step that names you or your team, and when it is offered to you. "
                "The header's " strong { "Alerts" } " button is separate: a sound and a browser notification in this browser only."
            }
            @if !s.mail_configured {
                div.banner.waiting #no-mail {
                    p {
                        strong { "This server sends no e-mail." }
                        " No mail server is set up (an admin sets " code { "BATON_SMTP_URL" } " and " code { "BATON_SMTP_FROM" } "), "
                        "so no alert e-mail goes out, whatever you choose here. You can still save your settings for when it is."
                    }
                }
            }
            div.notify {
                (current(s))
                section.panel aria-labelledby="alerts-form-title" {
                    h2 #alerts-form-title { "Change e-mail alerts" }
                    div #alerts-problems .banner.problems role="alert" tabindex="-1" hidden {}
                    form #alerts-form novalidate data-mail=(s.mail_configured) {
                        label for="alert-email" { "E-mail address" }
                        input #alert-email type="email" name="email" autocomplete="email" spellcheck="false"
                            data-field="email" aria-describedby="alert-email-hint alert-email-error"
                            value=(s.email.as_deref().unwrap_or(""));
                        p.muted.small #alert-email-hint { "Where alerts go, e.g. alice@example.com. Leave it empty to remove it." }
                        p.fielderror #alert-email-error {}
                        label.check {
                            input #alert-enabled type="checkbox" name="enabled" data-field="enabled"
                                aria-describedby="alert-enabled-error" checked[s.enabled];
                            " Send me alert e-mails"
                        }
                        p.fielderror #alert-enabled-error {}
                        fieldset.quiet {
                            legend { "Quiet hours" }
                            label.check {
                                input #quiet-on type="checkbox" name="quiet" aria-describedby="quiet-hint" checked[quiet.is_some()];
                                " Hold alerts during quiet hours every day"
                            }
                            p.muted.small #quiet-hint {
                                "An alert due inside them waits for their end; an end earlier than the start means the next morning."
                            }
                            div.fields {
                                div {
                                    label for="quiet-start" { "From" }
                                    input #quiet-start type="time" name="start" data-field="quiet_hours.start"
                                        aria-describedby="quiet-start-error" disabled[quiet.is_none()]
                                        value=(quiet.map(|q| q.start.as_str()).unwrap_or(QUIET_START));
                                    p.fielderror #quiet-start-error {}
                                }
                                div {
                                    label for="quiet-end" { "Until" }
                                    input #quiet-end type="time" name="end" data-field="quiet_hours.end"
                                        aria-describedby="quiet-end-error" disabled[quiet.is_none()]
                                        value=(quiet.map(|q| q.end.as_str()).unwrap_or(QUIET_END));
                                    p.fielderror #quiet-end-error {}
                                }
                                div {
                                    label for="quiet-timezone" { "Time zone" }
                                    // Empty when none is stored: the script offers the browser's own.
                                    input #quiet-timezone name="timezone" data-field="quiet_hours.timezone"
                                        list="timezones" autocomplete="off" spellcheck="false"
                                        placeholder="e.g. Europe/Berlin" aria-describedby="quiet-timezone-hint quiet-timezone-error"
                                        disabled[quiet.is_none()]
                                        value=(quiet.map(|q| q.timezone.as_str()).unwrap_or(""));
                                    p.muted.small #quiet-timezone-hint { "An IANA time zone; yours is offered." }
                                    p.fielderror #quiet-timezone-error {}
                                    datalist #timezones {}
                                }
                            }
                        }
                        button.primary type="submit" { "Save" }
                    }
                    div #alerts-saved .banner.done role="status" tabindex="-1" hidden {}
                }
            }
        }))
    }
}

/// What is stored now, in words; swapped by the script's refresh after a save.
fn current(s: &AlertSettings) -> Markup {
    let key = format!(
        "{:?}|{}|{:?}|{:?}",
        s.email, s.enabled, s.quiet_hours, s.updated_at
    );
    html! {
        section.panel #alerts-current data-live data-key=(key) aria-labelledby="alerts-current-title" {
            h2 #alerts-current-title { "Your e-mail alerts now" }
            dl.settings {
                dt { "Alerts" }
                dd #current-enabled {
                    @if s.enabled {
                        @if s.mail_configured { "On" } @else { "On, but this server sends no e-mail" }
                    } @else { "Off" }
                }
                dt { "E-mail address" }
                dd #current-email .wrap { (s.email.as_deref().unwrap_or("None set")) }
                dt { "Quiet hours" }
                dd #current-quiet {
                    @match &s.quiet_hours {
                        Some(q) => { (q.start) "–" (q.end) " (" (q.timezone) ")" }
                        None => { "None" }
                    }
                }
                dt { "Last changed" }
                dd {
                    @match s.updated_at {
                        Some(at) => { (clock(at.naive_utc())) }
                        None => { "Never: alerts are off until you set them" }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alerts::QuietHoursBody;

    fn alice() -> ReviewerAuth {
        ReviewerAuth {
            id: "r1".into(),
            name: "alice".into(),
            display_name: "Alice".into(),
            is_admin: false,
            team_ids: vec![],
            team_names: vec![],
        }
    }

    fn settings(mail_configured: bool) -> AlertSettings {
        AlertSettings {
            email: Some("alice@example.com".into()),
            enabled: true,
            quiet_hours: Some(QuietHoursBody {
                timezone: "Europe/Berlin".into(),
                start: "22:00".into(),
                end: "07:00".into(),
            }),
            mail_configured,
            updated_at: None,
        }
    }

    #[test]
    fn the_page_says_when_the_server_sends_no_mail() {
        let without = notifications_page(&alice(), "t", &settings(false)).into_string();
        assert!(
            without.contains("This server sends no e-mail."),
            "{without}"
        );
        assert!(without.contains("On, but this server sends no e-mail"));
        let with = notifications_page(&alice(), "t", &settings(true)).into_string();
        assert!(!with.contains("sends no e-mail"), "{with}");
    }

    #[test]
    fn stored_quiet_hours_fill_the_form_and_none_leave_it_off() {
        let html = notifications_page(&alice(), "t", &settings(true)).into_string();
        assert!(html.contains(r#"value="Europe/Berlin""#), "{html}");
        assert!(html.contains("22:00–07:00 (Europe/Berlin)"));
        assert!(
            !html.contains("disabled"),
            "stored quiet hours are editable"
        );
        let none = AlertSettings {
            quiet_hours: None,
            ..settings(true)
        };
        let html = notifications_page(&alice(), "t", &none).into_string();
        assert_eq!(html.matches("disabled").count(), 3, "{html}");
        assert!(html.contains(r#"id="quiet-timezone""#));
    }
}
