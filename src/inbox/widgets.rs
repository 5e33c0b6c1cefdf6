//! Admin · Web chat: the widget keys of Baton's own chat widget, with the tag to paste into a
//! site, and a way to switch one off. The forms go to `/v1/widgets` like the other admin pages.

use maud::{html, Markup};

use super::admin::{form_error, live_key, page, Admin, Section};
use super::views::clock;
use crate::db::widgets::WidgetRow;
use crate::domain::widget::snippet;

pub fn widgets_page(
    a: &Admin<'_>,
    list: &[WidgetRow],
    teams: &[String],
    public_base: &str,
) -> Markup {
    let key = live_key(list.iter().map(|w| format!("{}|{:?}", w.id, w.revoked_at)));
    page(
        a,
        Section::Widgets,
        html! {
            p.muted { "Baton's own chat widget: your web visitors talk to the AI of your n8n workflow and to your team in one bubble, and every reply from a person reaches them live. Create a key, paste its tag into your site, and import the n8n example " code { "Web chat with Baton's widget" } "." }
            form data-api="POST" data-endpoint="/v1/widgets" data-result="new-widget" data-success="Widget created." {
                label for="widget-name" { "Name" }
                input #widget-name name="name" required autocomplete="off" placeholder="e.g. Shop website";
                label for="widget-origins" { "Sites allowed to embed it (one per line)" }
                textarea #widget-origins name="allowed_origins" data-type="lines" rows="2" required
                    placeholder="https://shop.example.com" aria-describedby="widget-origins-help" {}
                p.muted.small #widget-origins-help { "As the browser shows them: scheme, host and port, no path. " code { "*" } " allows any site (for trying it out)." }
                label for="widget-team" { "Team (sent to the workflow as the takeover's assignee)" }
                select #widget-team name="team" data-optional {
                    option value="" { "None" }
                    @for t in teams { option value=(t) { (t) } }
                }
                label for="widget-title" { "Title of the chat window" }
                input #widget-title name="title" data-optional autocomplete="off" placeholder="Chat with us";
                label for="widget-welcome" { "Welcome line" }
                input #widget-welcome name="welcome" data-optional autocomplete="off" placeholder="Hi! How can we help?";
                div.row2 { button.primary type="submit" { "Create widget" } }
                (form_error())
            }
            section.panel.secret #new-widget hidden aria-labelledby="new-widget-title" tabindex="-1" {
                h2 #new-widget-title { "Paste this tag into your site's pages" }
                label for="new-widget-snippet" { "Tag" }
                textarea #new-widget-snippet readonly rows="3" data-field="snippet" {}
                button type="button" data-copy="new-widget-snippet" { "Copy tag" }
            }
            div.tablewrap #widgets data-live data-key=(key) {
                table.list {
                    caption.visually-hidden { "Widgets" }
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Sites" } th scope="col" { "Tag" } th scope="col" { "Status" } th scope="col" { span.visually-hidden { "Actions" } } } }
                    tbody {
                        @if list.is_empty() { tr { td colspan="5" { "No widgets yet." } } }
                        @for w in list {
                            tr {
                                th scope="row" {
                                    (w.name)
                                    @if let Some(team) = &w.team { br; span.small { "team " (team) } }
                                    br; span.small { "since " (clock(w.created_at)) }
                                }
                                td { @for o in w.origins() { code.small { (o) } br; } }
                                td { code.small.wrap { (snippet(public_base, &w.public_key)) } }
                                td {
                                    @match w.revoked_at {
                                        Some(at) => { span.chip.off { "switched off" } " " (at.format("%Y-%m-%d")) }
                                        None => { span.chip { "active" } }
                                    }
                                }
                                td {
                                    @if w.revoked_at.is_none() {
                                        button.danger type="button" data-api="DELETE" data-endpoint={ "/v1/widgets/" (w.id) }
                                            data-confirm={ "Switch off the widget " (w.name) "? Its visitors can no longer write, and open chats end at once." }
                                            data-success="Widget switched off." { "Switch off " span.visually-hidden { (w.name) } }
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
