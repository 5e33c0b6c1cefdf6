//! Admin · Customer texts: what Baton says to customers, sentence by sentence, with Baton's
//! wording in each language it ships and the templates admins set per team and language. The
//! forms go to `/v1/customer-texts` like the other admin pages.

use maud::{html, Markup};

use super::admin::{encode, form_error, live_key, page, Admin, Section};
use crate::db::texts::TextRow;
use crate::domain::texts::{built_in, TextKey, BUILT_IN};

pub fn texts_page(a: &Admin<'_>, list: &[TextRow], teams: &[String]) -> Markup {
    let key = live_key(
        list.iter()
            .map(|t| format!("{}|{}|{}|{}", t.key, t.team, t.locale, t.template)),
    );
    page(
        a,
        Section::Texts,
        html! {
            p.muted { "What Baton says to customers in every channel (callback " code { "text" } ") and in the web chat. Each customer hears the most specific template for their language (the takeover's " code { "locale" } " or the visitor's browser): the team's, then every team's, then Baton's own translation; without a known language, the team's own wording comes first." }
            div #customer-texts data-live data-key=(key) {
                @for k in TextKey::ALL {
                    @let id = k.as_str().replace('_', "-");
                    section.panel aria-labelledby={ "text-" (id) } {
                        h2 #{ "text-" (id) } { code { (k.as_str()) } " · " (k.description()) }
                        @if !k.variables().is_empty() {
                            p.small { "Variables: " @for v in k.variables() { code { "{" (v) "}" } " " } }
                        }
                        details {
                            summary { "Baton's wording" }
                            ul.small { @for l in BUILT_IN { @if let Some(t) = built_in(k, l) { li { strong { (l) } ": " (t) } } } }
                        }
                        @let mine: Vec<&TextRow> = list.iter().filter(|t| t.key == k.as_str()).collect();
                        @if !mine.is_empty() {
                            ul.small {
                                @for t in &mine {
                                    @let team = if t.team.is_empty() { "every team" } else { t.team.as_str() };
                                    @let lang = if t.locale.is_empty() { "default language" } else { t.locale.as_str() };
                                    li {
                                        strong { (team) ", " (lang) } ": " (t.template) " "
                                        button.danger type="button" data-api="DELETE"
                                            data-endpoint={ "/v1/customer-texts/" (k.as_str()) "?team=" (encode(&t.team)) "&locale=" (encode(&t.locale)) }
                                            data-success="Template removed." { "Remove " span.visually-hidden { (k.as_str()) " for " (team) ", " (lang) } }
                                    }
                                }
                            }
                        }
                        form data-api="PUT" data-endpoint={ "/v1/customer-texts/" (k.as_str()) } data-success="Template saved." {
                            div.row2 {
                                div {
                                    label for={ (id) "-team" } { "Team" }
                                    select #{ (id) "-team" } name="team" data-optional {
                                        option value="" { "Every team" }
                                        @for t in teams { option value=(t) { (t) } }
                                    }
                                }
                                div {
                                    label for={ (id) "-locale" } { "Language (de, fr…; empty: default)" }
                                    input #{ (id) "-locale" } name="locale" data-optional autocomplete="off" size="8";
                                }
                            }
                            label for={ (id) "-template" } { "Template" }
                            textarea #{ (id) "-template" } name="template" rows="2" required placeholder=(built_in(k, "en").unwrap_or_default()) {}
                            div.row2 { button.primary type="submit" { "Save " span.visually-hidden { (k.as_str()) } } }
                            (form_error())
                        }
                    }
                }
            }
        },
    )
}
