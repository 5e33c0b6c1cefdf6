//! WhatsApp templates in the inbox: the admin page where a team's approved templates are
//! registered (Admin · WhatsApp templates, forms to `/v1/whatsapp-templates`), and the picker
//! a conversation page shows in place of the reply box once WhatsApp's 24-hour window has
//! closed: choose a template, fill its values, read the live preview, send
//! (`POST /v1/sessions/{id}/template-replies`). The script builds the value fields and the
//! preview from a JSON data block (the CSP allows no inline script; a data block is not run).

use maud::{html, Markup, PreEscaped};
use serde::Serialize;

use super::admin::{encode, form_error, live_key, page, Admin, Section};
use crate::db::templates::Template;
use crate::domain::templates::{
    Button, ButtonKind, Category, HeaderFormat, MAX_BODY, MAX_FOOTER, MAX_HEADER_TEXT,
};

/// The admin section: every team's templates, and the form to add one.
pub fn admin_page(a: &Admin<'_>, list: &[Template], teams: &[String]) -> Markup {
    let key = live_key(list.iter().map(|t| {
        format!(
            "{}|{}|{}|{}|{}",
            t.row.id, t.team, t.row.name, t.row.language, t.row.updated_at
        )
    }));
    page(
        a,
        Section::Templates,
        html! {
            p.muted {
                "After a WhatsApp customer's last message, a business has 24 hours to answer in free text; "
                "after that only a template Meta approved may reach them. Register here each template exactly as "
                "it was approved (name, language, text); reviewers of its team are offered it when a conversation's "
                "window has closed. Parameters are numbered " code { "{{1}}" } ", " code { "{{2}}" } "…"
            }
            details.tool.create {
                summary { "Add a template" }
                (template_form("new", None, teams))
            }
            ul.rows.admin.templates #templates data-live data-key=(key) aria-label="WhatsApp templates" {
                @if list.is_empty() { li.empty { "No templates yet." } }
                @for (i, t) in list.iter().enumerate() { (template_row(i, t, teams)) }
            }
        },
    )
}

fn template_row(i: usize, t: &Template, teams: &[String]) -> Markup {
    let endpoint = format!("/v1/whatsapp-templates/{}", encode(&t.row.id));
    let label = format!("{} ({})", t.row.name, t.row.language);
    html! {
        li.row.card {
            div.line1 {
                code.shortcut { (t.row.name) }
                span.chip { (t.row.language) }
                span.chip { (t.row.category) }
                span.chip { "team " (t.team) }
            }
            @if let Some(h) = &t.row.header_text { p.canned-text { strong { (h) } } }
            @else if let Some(f) = &t.row.header_format { p.muted.small { (f.to_lowercase()) " header" } }
            p.canned-text { (t.row.body) }
            @if let Some(f) = &t.row.footer { p.muted.small { (f) } }
            @let buttons = t.row.buttons();
            @if !buttons.is_empty() {
                ul.tpl-buttons aria-label={ "Buttons of " (label) } {
                    @for b in &buttons { li { (b.text) } }
                }
            }
            div.actions {
                details.tool {
                    summary { "Edit " span.visually-hidden { (label) } }
                    (template_form(&format!("t{i}"), Some(t), teams))
                }
                button.danger type="button" data-api="DELETE" data-endpoint=(endpoint)
                    data-confirm={ "Delete the template " (label) "?" }
                    data-success="Template deleted." { "Delete " span.visually-hidden { (label) } }
            }
        }
    }
}

fn button_row(id: &str, b: Option<&Button>) -> Markup {
    let kind = b.map(|b| b.kind);
    html! {
        div.steprow.tpl-button data-row {
            div {
                label for={ (id) "-type" } { "Button" }
                select id={ (id) "-type" } name="type" data-optional {
                    option value="" { "None" }
                    @for k in ButtonKind::ALL {
                        option value=(k.as_str()) selected[kind == Some(k)] { (button_kind_label(k)) }
                    }
                }
            }
            div {
                label for={ (id) "-text" } { "Label" }
                input id={ (id) "-text" } name="text" maxlength="25" data-optional autocomplete="off"
                    value=[b.map(|b| b.text.as_str())];
            }
            div {
                label for={ (id) "-url" } { "URL (may end in {{1}})" }
                input id={ (id) "-url" } name="url" type="text" inputmode="url" data-optional autocomplete="off"
                    value=[b.and_then(|b| b.url.as_deref())];
            }
            div {
                label for={ (id) "-phone" } { "Phone number" }
                input id={ (id) "-phone" } name="phone_number" type="tel" data-optional autocomplete="off"
                    value=[b.and_then(|b| b.phone_number.as_deref())];
            }
            button type="button" data-remove-row { "Remove button" }
        }
    }
}

fn button_kind_label(k: ButtonKind) -> &'static str {
    match k {
        ButtonKind::QuickReply => "Quick reply",
        ButtonKind::Url => "Visit website (URL)",
        ButtonKind::PhoneNumber => "Call phone number",
    }
}

fn template_form(id: &str, t: Option<&Template>, teams: &[String]) -> Markup {
    let (method, endpoint, success, submit) = match t {
        Some(t) => (
            "PUT",
            format!("/v1/whatsapp-templates/{}", encode(&t.row.id)),
            "Template saved.",
            "Save template",
        ),
        None => (
            "POST",
            "/v1/whatsapp-templates".to_string(),
            "Template added.",
            "Add template",
        ),
    };
    let row = t.map(|t| &t.row);
    let format = row.and_then(|r| r.header_format.as_deref());
    let buttons = row.map(|r| r.buttons()).unwrap_or_default();
    html! {
        form data-api=(method) data-endpoint=(endpoint) data-success=(success) {
            label for={ (id) "-team" } { "Team" }
            select id={ (id) "-team" } name="team" required {
                @if t.is_none() { option value="" { "Choose…" } }
                @for name in teams {
                    option value=(name) selected[t.is_some_and(|t| &t.team == name)] { (name) }
                }
            }
            label for={ (id) "-name" } { "Name (as approved at Meta)" }
            input id={ (id) "-name" } name="name" required autocomplete="off" maxlength="512"
                pattern="[a-z0-9_]{1,512}" placeholder="e.g. order_update" aria-describedby={ (id) "-name-hint" }
                value=[row.map(|r| r.name.as_str())];
            p.muted.small id={ (id) "-name-hint" } { "Lowercase letters, digits and _." }
            label for={ (id) "-language" } { "Language code" }
            input id={ (id) "-language" } name="language" required autocomplete="off" maxlength="6"
                placeholder="e.g. en_US, pt_BR, en" value=[row.map(|r| r.language.as_str())];
            label for={ (id) "-category" } { "Category" }
            select id={ (id) "-category" } name="category" required {
                @for c in Category::ALL {
                    option value=(c.as_str()) selected[row.is_some_and(|r| r.category == c.as_str())] { (c.as_str()) }
                }
            }
            fieldset {
                legend { "Header (optional)" }
                label for={ (id) "-header-format" } { "Kind" }
                select id={ (id) "-header-format" } name="header.format" data-optional {
                    option value="" { "No header" }
                    @for f in HeaderFormat::ALL {
                        option value=(f.as_str()) selected[format == Some(f.as_str())] { (f.as_str().to_lowercase()) }
                    }
                }
                label for={ (id) "-header-text" } { "Text (for a text header; at most one {{1}})" }
                input id={ (id) "-header-text" } name="header.text" data-optional autocomplete="off"
                    maxlength=(MAX_HEADER_TEXT) value=[row.and_then(|r| r.header_text.as_deref())];
            }
            label for={ (id) "-body" } { "Body, with {{1}}, {{2}}… for its values" }
            textarea id={ (id) "-body" } name="body" rows="4" required maxlength=(MAX_BODY)
                placeholder="Hi {{1}}, your order {{2}} is on its way." {
                @if let Some(r) = row { (r.body) }
            }
            label for={ (id) "-footer" } { "Footer (optional, no values)" }
            input id={ (id) "-footer" } name="footer" data-optional autocomplete="off" maxlength=(MAX_FOOTER)
                value=[row.and_then(|r| r.footer.as_deref())];
            fieldset.steps {
                legend { "Buttons (optional)" }
                div data-rows="buttons" id={ (id) "-buttons" } {
                    @for (n, b) in buttons.iter().enumerate() { (button_row(&format!("{id}-b{n}"), Some(b))) }
                }
                template id={ (id) "-button-template" } { (button_row(&format!("{id}-bNEW"), None)) }
                button type="button" data-add-row={ (id) "-button-template" } data-into={ (id) "-buttons" } { "Add button" }
            }
            button.primary type="submit" { (submit) }
            (form_error())
        }
    }
}

/// One template as the conversation's picker offers it.
#[derive(Clone, Debug, Serialize)]
pub struct Offered {
    pub id: String,
    pub name: String,
    pub language: String,
    pub category: String,
    pub header_format: Option<String>,
    pub header_text: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<Button>,
    pub body_parameters: usize,
    pub header_parameters: usize,
    /// For each button: whether it takes a URL ending.
    pub button_takes_value: Vec<bool>,
}

/// The templates a picker offers, by name and language (one that no longer parses is left out).
pub fn offered(list: &[Template]) -> Vec<Offered> {
    list.iter()
        .filter_map(|t| {
            let d = t.row.definition().ok()?;
            Some(Offered {
                id: t.row.id.clone(),
                name: t.row.name.clone(),
                language: t.row.language.clone(),
                category: t.row.category.clone(),
                header_format: t.row.header_format.clone(),
                header_text: t.row.header_text.clone(),
                body: t.row.body.clone(),
                footer: t.row.footer.clone(),
                body_parameters: d.body_parameters,
                header_parameters: d.header.as_ref().map_or(0, |h| h.parameters()),
                button_takes_value: d.buttons.iter().map(Button::has_parameter).collect(),
                buttons: d.buttons,
            })
        })
        .collect()
}

/// The picker shown in place of the reply box when the window has closed.
pub fn picker(list: &[Offered], closed_at: &str) -> Markup {
    // As for the canned responses' block: `<`, `>` and `&` escaped the JSON way, so no text
    // can close the script element.
    let json = serde_json::to_string(list)
        .unwrap_or_else(|_| "[]".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    html! {
        div.window-closed #template-reply-box {
            p.banner.closed-window role="note" {
                strong { "WhatsApp's 24-hour window closed " (closed_at) "." }
                " Free text can no longer reach the customer: send one of the team's approved templates. "
                "The window opens again when the customer answers."
            }
            @if list.is_empty() {
                p.muted { "This team has no WhatsApp templates yet: an admin adds them under Admin · WhatsApp templates." }
            } @else {
                script #template-data type="application/json" { (PreEscaped(json)) }
                form.composer.template-form #template-form data-template-reply {
                    label for="template-pick" { "Template" }
                    select #template-pick name="template_id" required {
                        option value="" { "Choose a template…" }
                        @for t in list {
                            option value=(t.id) { (t.name) " (" (t.language) ") · " (t.category.to_lowercase()) }
                        }
                    }
                    div #template-values {}
                    div.template-preview-box {
                        p.small.muted #template-preview-label { "Preview" }
                        div.template-preview #template-preview role="status" aria-labelledby="template-preview-label" { span.muted { "Choose a template to see it here." } }
                    }
                    div.row2 {
                        span.muted.small { "The customer receives the template as WhatsApp approved it, with these values." }
                        button.primary type="submit" { "Send template" }
                    }
                    (form_error())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_block_cannot_be_closed_by_a_template() {
        let list = vec![Offered {
            id: "x".into(),
            name: "n".into(),
            language: "en".into(),
            category: "UTILITY".into(),
            header_format: None,
            header_text: None,
            body: "</script><script>alert(1)</script> & {{1}}".into(),
            footer: None,
            buttons: vec![],
            body_parameters: 1,
            header_parameters: 0,
            button_takes_value: vec![],
        }];
        let html = picker(&list, "at 10:00 UTC").into_string();
        assert!(!html.contains("</script><script>"), "{html}");
        let start = html.find('[').unwrap();
        let end = html.find("</script>").unwrap();
        let back: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
        assert_eq!(
            back[0]["body"],
            "</script><script>alert(1)</script> & {{1}}"
        );
    }
}
