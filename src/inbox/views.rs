//! The inbox's HTML, as maud templates. Pages carry no inline script or style (the CSP forbids
//! them): behaviour comes from `/inbox/assets/inbox.js`, looks from `/inbox/assets/inbox.css`.
//! Elements marked `data-live` are swapped by the script when their `data-key` changes.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use maud::{html, Markup, DOCTYPE};

use crate::auth::ReviewerAuth;
use crate::db::models::{AuditRow, MessageRow, NoteRow, SessionRow, TakeoverRow};
use crate::db::outbox::ReplyDelivery;
use crate::db::queue::{InboxView, QueueCounts};
use crate::db::sessions::reply_window_closes_at;
use crate::domain::session::{Owner, SessionStatus};
use crate::domain::staff;
use crate::domain::types::{Mode, Outcome, Reason, Sender, TakeoverStatus};
use crate::routes::dto::inbox_url;

/// Bumped when the assets change, so browsers fetch the new ones.
pub const ASSET_VERSION: &str = "12";

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// "3 min", "2 h 5 min", "1 d 4 h": a short span for people.
pub fn span(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

pub(crate) fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::HandedBack => "Handed back to the AI",
        Outcome::Closed => "Closed",
        Outcome::TimedOut => "Timed out",
        Outcome::Unanswered => "Nobody answered",
        Outcome::OffHours => "Team closed",
        Outcome::Approved => "Approved",
        Outcome::Rejected => "Rejected",
        Outcome::Edited => "Edited and approved",
    }
}

pub(crate) fn reason_label(reason: &str) -> &'static str {
    match Reason::parse(reason) {
        Some(Reason::UserRequested) => "Customer asked for a person",
        Some(Reason::LowConfidence) => "AI was not confident",
        Some(Reason::OutOfScope) => "Out of the AI's scope",
        Some(Reason::Other) | None => "Other",
    }
}

/// A time that the script keeps current: "waiting 3 min" / "escalates in 5 min".
fn since(at: NaiveDateTime, now: NaiveDateTime) -> Markup {
    html! {
        time datetime=(utc(at).to_rfc3339()) data-since=(utc(at).timestamp()) {
            (span((now - at).num_seconds()))
        }
    }
}

fn until(at: NaiveDateTime, now: NaiveDateTime) -> Markup {
    let left = (at - now).num_seconds();
    html! {
        time datetime=(utc(at).to_rfc3339()) data-until=(utc(at).timestamp()) .overdue[left <= 0] {
            @if left > 0 { (span(left)) } @else { "now" }
        }
    }
}

/// A day and time, for openings: "Mon 09:00 UTC" (the reader's own zone is the script's job).
fn clock_day(at: NaiveDateTime) -> Markup {
    html! {
        time datetime=(utc(at).to_rfc3339()) data-local="day" title=(utc(at).format("%Y-%m-%d %H:%M UTC")) {
            (utc(at).format("%a %H:%M UTC"))
        }
    }
}

/// The channel's reply window (WhatsApp's 24 hours), when the session has one: "window closes
/// in 3 h 5 min" or "window closed". The script turns the first into the second when it passes.
fn reply_window(s: &SessionRow, now: NaiveDateTime) -> Markup {
    let Some(closes) = reply_window_closes_at(s) else {
        return html! {};
    };
    let left = (closes - now).num_seconds();
    html! {
        span.chip.window.closed[left <= 0] data-window-until=(utc(closes).timestamp())
            title={ "Free-text replies are possible until " (utc(closes).format("%Y-%m-%d %H:%M UTC")) } {
            @if left > 0 { "window closes in " (span(left)) } @else { "window closed" }
        }
    }
}

/// A moment, with a readable UTC fallback ("11:47 UTC" today, "3 May 11:47 UTC" another day,
/// the year too when it is not this year). The script rewrites `data-local` times in the
/// reader's own zone (time only when it is today there, else date and time).
pub(crate) fn clock(at: NaiveDateTime) -> Markup {
    clock_at(at, Utc::now().naive_utc())
}

pub(crate) fn clock_at(at: NaiveDateTime, now: NaiveDateTime) -> Markup {
    let t = utc(at);
    let shown = if at.date() == now.date() {
        t.format("%H:%M UTC").to_string()
    } else if t.format("%Y").to_string() == utc(now).format("%Y").to_string() {
        t.format("%-d %b %H:%M UTC").to_string()
    } else {
        t.format("%-d %b %Y %H:%M UTC").to_string()
    };
    html! {
        time datetime=(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) data-local
            title=(t.format("%Y-%m-%d %H:%M:%S UTC")) {
            (shown)
        }
    }
}

/// What every page shares: head, header with the signed-in reviewer, CSRF token for the script.
pub struct Chrome<'a> {
    pub title: &'a str,
    pub reviewer: Option<&'a ReviewerAuth>,
    pub csrf: Option<&'a str>,
    /// `data-page` on the body: which behaviour the script attaches.
    pub page: &'a str,
    pub session_id: Option<&'a str>,
}

/// The inbox's sections for this reviewer, with the pages that belong to each.
fn sections(r: &ReviewerAuth) -> Vec<(&'static str, &'static str, &'static [&'static str])> {
    let mut list: Vec<(&str, &str, &[&str])> = vec![
        ("/inbox", "Queue", &["queue", "conversation"]),
        ("/inbox/search", "Search", &["search"]),
        ("/inbox/insights", "Insights", &["insights"]),
        ("/inbox/canned", "Canned responses", &["canned"]),
        ("/inbox/notifications", "Notifications", &["notifications"]),
    ];
    if r.is_admin {
        list.push(("/inbox/admin", "Admin", &["admin"]));
    }
    list
}

pub(crate) fn layout(c: &Chrome<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(csrf) = c.csrf { meta name="csrf-token" content=(csrf); }
                title { (c.title) " · Baton inbox" }
                link rel="stylesheet" href={ "/inbox/assets/inbox.css?v=" (ASSET_VERSION) };
                link #favicon rel="icon" href="data:,";
                script src={ "/inbox/assets/inbox.js?v=" (ASSET_VERSION) } defer {}
            }
            body data-page=(c.page) data-session=[c.session_id] {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/inbox" { span.logo aria-hidden="true" { "◆" } " Baton" }
                    @if let Some(r) = c.reviewer {
                        nav.sections aria-label="Sections" {
                            @for (href, label, pages) in sections(r) {
                                a href=(href) aria-current=[pages.contains(&c.page).then_some("page")] { (label) }
                            }
                        }
                        nav.account aria-label="Account" {
                            span.who { "Signed in as " strong { (r.display_name) } }
                            label.availability {
                                span.visually-hidden { "Availability" }
                                select #availability title="Automatic assignment only offers conversations to reviewers who are online" {
                                    option value="online" { "● Online" }
                                    option value="away" { "◐ Away" }
                                    option value="offline" { "○ Offline" }
                                }
                            }
                            button.link.alerts #alerts type="button" aria-pressed="false"
                                title="Sound and a browser notification when a conversation needs you" {
                                "Alerts off"
                            }
                            button.link.keys type="button" data-shortcuts aria-haspopup="dialog"
                                title="Keyboard shortcuts (?)" {
                                span aria-hidden="true" { "?" } span.visually-hidden { "Keyboard shortcuts" }
                            }
                            form method="post" action="/inbox/logout" {
                                input type="hidden" name="_csrf" value=[c.csrf];
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
                @if c.reviewer.is_some() { (shortcuts_dialog()) }
                div #toast role="status" aria-live="polite" {}
            }
        }
    }
}

/// The keys the script answers to, listed in a dialog that `?` (or the header's button) opens.
fn shortcuts_dialog() -> Markup {
    let keys: [(&str, &str, &str); 7] = [
        ("j", "Queue", "Select the next conversation"),
        ("k", "Queue", "Select the previous conversation"),
        ("Enter", "Queue", "Open the selected conversation"),
        (
            "/",
            "Queue, Search",
            "Filter the list (on Search: go to the search box)",
        ),
        ("c", "Conversation", "Claim it"),
        ("r", "Conversation", "Go to the reply box"),
        ("?", "Everywhere", "Show these keys"),
    ];
    html! {
        dialog #shortcuts aria-labelledby="shortcuts-title" {
            h2 #shortcuts-title { "Keyboard shortcuts" }
            p.muted.small { "Keys do nothing while you type in a field. Esc closes this list." }
            table.keys {
                caption.visually-hidden { "Keys and what they do" }
                thead { tr { th scope="col" { "Key" } th scope="col" { "Where" } th scope="col" { "What it does" } } }
                tbody {
                    @for (key, place, what) in keys {
                        tr { td { kbd { (key) } } td { (place) } td { (what) } }
                    }
                }
            }
            button.primary type="button" data-close-dialog { "Close" }
        }
    }
}

pub fn login(error: Option<&str>, name: &str, next: &str) -> Markup {
    let chrome = Chrome {
        title: "Sign in",
        reviewer: None,
        csrf: None,
        page: "login",
        session_id: None,
    };
    layout(
        &chrome,
        html! {
            section.card.signin {
                h1 { "Sign in to the inbox" }
                p.muted { "Take over conversations from the chatbot, talk to the customer, then hand them back." }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                form method="post" action="/inbox/login" {
                    input type="hidden" name="next" value=(next);
                    label for="name" { "Name" }
                    input #name name="name" autocomplete="username" required autofocus value=(name);
                    label for="password" { "Password" }
                    input #password name="password" type="password" autocomplete="current-password" required;
                    button.primary type="submit" { "Sign in" }
                }
                p.muted.small { "No account yet? An admin adds you under Admin · Reviewers. On a new Baton, the first admin is made with the setup link " code { "baton serve" } " printed." }
            }
        },
    )
}

/// One row of the queue.
pub struct QueueRow {
    pub takeover: TakeoverRow,
    pub session: SessionRow,
    pub last_message: Option<MessageRow>,
    /// The reviewer automatic assignment offered it to, and until when.
    pub offer: Option<(String, NaiveDateTime)>,
    /// When its team is closed: the next opening (`Some(None)`: no opening within a year).
    pub opens_at: Option<Option<NaiveDateTime>>,
    /// Customer messages the reviewer has not read.
    pub unread: i64,
    /// For a conversation the reviewer holds: when the silent-reviewer timer puts it back in
    /// the queue unless they reply.
    pub release_at: Option<NaiveDateTime>,
}

pub struct Queue<'a> {
    pub reviewer: &'a ReviewerAuth,
    pub csrf: &'a str,
    pub view: InboxView,
    pub counts: QueueCounts,
    /// Conversations with unread customer messages in each view.
    pub unread: crate::db::reads::Tally,
    pub rows: Vec<QueueRow>,
    pub names: &'a BTreeMap<String, String>,
    pub now: NaiveDateTime,
}

pub fn view_name(view: InboxView) -> &'static str {
    match view {
        InboxView::Waiting => "waiting",
        InboxView::Mine => "mine",
        InboxView::Team => "team",
        InboxView::HandedBack => "handed_back",
    }
}

pub(crate) fn display<'a>(names: &'a BTreeMap<String, String>, name: &'a str) -> &'a str {
    names.get(name).map(String::as_str).unwrap_or(name)
}

pub fn queue(q: &Queue<'_>) -> Markup {
    let chrome = Chrome {
        title: "Queue",
        reviewer: Some(q.reviewer),
        csrf: Some(q.csrf),
        page: "queue",
        session_id: None,
    };
    let tabs = [
        (
            InboxView::Waiting,
            "Waiting",
            q.counts.waiting,
            q.unread.waiting,
        ),
        (InboxView::Mine, "Mine", q.counts.mine, q.unread.mine),
        (InboxView::Team, "All open", q.counts.team, q.unread.team),
        (
            InboxView::HandedBack,
            "Recently handed back",
            q.counts.handed_back,
            0,
        ),
    ];
    let counts_key = format!(
        "{}-{}-{}-{}|{}-{}-{}",
        q.counts.waiting,
        q.counts.mine,
        q.counts.team,
        q.counts.handed_back,
        q.unread.waiting,
        q.unread.mine,
        q.unread.team
    );
    let rows_key: String = q
        .rows
        .iter()
        .map(|r| {
            format!(
                "{}:{}:{}:{};",
                r.takeover.id, r.takeover.updated_at, r.session.next_seq, r.unread
            )
        })
        .collect();
    layout(
        &chrome,
        html! {
            h1.visually-hidden { "Queue" }
            nav.tabs #tabs data-live data-key=(counts_key) aria-label="Queue views" {
                @for (view, label, count, unread) in tabs {
                    a href={ "/inbox?view=" (view_name(view)) }
                        aria-current=[(view == q.view).then_some("page")] {
                        (label) " " span.count { (count) }
                        @if unread > 0 {
                            " " span.unread title={ (unread) " with unread messages" } {
                                (unread) span.visually-hidden { " unread" }
                            }
                        }
                    }
                }
            }
            div.filter {
                label for="filter" { "Filter this list" }
                input #filter type="search" autocomplete="off" aria-describedby="filter-hint"
                    placeholder="Customer, channel, reason or summary";
                span #filter-hint .muted.small { "Press / to filter, j and k to move, Enter to open, ? for all keys." }
            }
            section #queue data-live data-key=(rows_key) aria-label="Conversations" {
                @if q.rows.is_empty() {
                    div.empty {
                        p { strong { @match q.view {
                            InboxView::Waiting => { "Nobody is waiting." }
                            InboxView::Mine => { "You hold no conversations." }
                            InboxView::Team => { "No open conversations." }
                            InboxView::HandedBack => { "Nothing handed back in the last 24 hours." }
                        } } }
                        p.muted { @match q.view {
                            InboxView::HandedBack => { "Conversations handed back to the AI stay listed here for 24 hours." }
                            InboxView::Mine => { "Conversations you claim are listed here; they update on their own." }
                            _ => { "New requests appear here on their own; you do not need to reload." }
                        } }
                    }
                } @else {
                    ul.rows {
                        @for r in &q.rows { (queue_row(r, q)) }
                    }
                }
            }
        },
    )
}

fn queue_row(r: &QueueRow, q: &Queue<'_>) -> Markup {
    let t = &r.takeover;
    let status = TakeoverStatus::parse(&t.status);
    let outside = answered_outside(&r.session);
    let href = inbox_url("", &t.session_id);
    html! {
        li.row.waiting[status == Some(TakeoverStatus::Requested)].unread[r.unread > 0]
            data-session=(t.session_id) {
            a.rowlink href=(href) {
                div.line1 {
                    @if r.unread > 0 {
                        span.badge title={ (r.unread) " unread" } {
                            (if r.unread > 99 { "99+".to_string() } else { r.unread.to_string() })
                            span.visually-hidden { " unread messages" }
                        }
                    }
                    span.customer { (t.session_id) }
                    @if let Some(ch) = &r.session.channel { span.chip { (ch) } }
                    @if t.priority > 0 { span.chip.prio { "priority " (t.priority) } }
                    @if Mode::parse(&t.mode) == Some(Mode::Approval) { span.chip { "approval" } }
                    (reply_window(&r.session, q.now))
                    span.reason { (reason_label(&t.reason)) }
                }
                @if let Some(name) = &outside {
                    div.outside { span.chip.outside { (staff::answered_outside_label(name.as_deref())) } }
                }
                @if let Some(s) = &t.summary { div.summary { (s) } }
                @if let Some(m) = &r.last_message {
                    div.last {
                        span.who { (last_sender(&m.sender, &q.reviewer.name, q.names)) ": " }
                        span.text { (m.content) }
                        " " span.age.muted { "· " (since(m.recorded_at, q.now)) }
                    }
                }
                div.meta {
                    @match status {
                        Some(TakeoverStatus::Requested) if outside.is_some() => {
                            span { "The AI answers again in " (until(t.expires_at, q.now)) " unless they write again" }
                        }
                        Some(TakeoverStatus::Requested) => {
                            span { "Waiting " (since(t.created_at, q.now)) }
                            @match r.opens_at {
                                Some(Some(at)) => span.closed { "Team closed · opens " (clock_day(at)) " (in " (until(at, q.now)) ")" }
                                Some(None) => span.closed { "Team closed" }
                                None => span { "Escalates in " (until(t.expires_at, q.now)) }
                            }
                            @if let Some((who, until_at)) = &r.offer {
                                @if *who == q.reviewer.name {
                                    span.offer { strong { "Offered to you" } " · open it and claim to accept within " (until(*until_at, q.now)) }
                                } @else {
                                    span.offer { "Offered to " strong { (display(q.names, who)) } " for " (until(*until_at, q.now)) }
                                }
                            }
                        }
                        Some(TakeoverStatus::Claimed) => {
                            span { "Held by " strong { (display(q.names, t.claimed_by.as_deref().unwrap_or("?"))) } }
                            span { "Requested " (since(t.created_at, q.now)) " ago" }
                            @if let Some(at) = r.release_at {
                                span.silence { "Back to the queue in " (until(at, q.now)) " unless you reply" }
                            }
                        }
                        _ => {
                            span {
                                "Handed back "
                                // From whom: the person who last held it, if anyone did.
                                @if let Some(by) = &t.claimed_by { "from " strong { (display(q.names, by)) } " " }
                                @if let Some(at) = t.resolved_at { (since(at, q.now)) " ago" }
                            }
                            @if let Some(s) = &t.handback_summary { span { "“" (s) "”" } }
                        }
                    }
                }
            }
        }
    }
}

/// While a person outside Baton owns the session: their name, if the workflow gave one.
fn answered_outside(s: &SessionRow) -> Option<Option<String>> {
    let status = SessionStatus::parse(&s.status)?;
    if status.owner() != Owner::Staff {
        return None;
    }
    match s.outside_by.as_deref().map(Sender::parse) {
        Some(Ok(Sender::Staff(name))) => Some(name),
        _ => Some(None),
    }
}

/// Who wrote a turn, as a list row shows it: the timeline's label, "You" for the reader.
fn last_sender(sender: &str, me: &str, names: &BTreeMap<String, String>) -> String {
    match Sender::parse(sender) {
        Ok(Sender::Human(name)) if name == me => "You".into(),
        _ => sender_label(sender, names).0,
    }
}

/// Everything the conversation page shows.
pub struct Conversation<'a> {
    pub reviewer: &'a ReviewerAuth,
    pub csrf: &'a str,
    /// The session's status, read (and checked) once by the handler.
    pub status: SessionStatus,
    pub session: SessionRow,
    pub takeover: Option<TakeoverRow>,
    pub messages: Vec<MessageRow>,
    pub notes: Vec<NoteRow>,
    pub deliveries: HashMap<String, ReplyDelivery>,
    /// The conversation's audit trail: who claimed, transferred, released, escalated, handed
    /// back or closed it, shown in the timeline between the messages.
    pub events: Vec<AuditRow>,
    /// Who the customer is, as the workflow described them.
    pub customer: Option<crate::domain::takeover::Customer>,
    /// Every takeover of this conversation, oldest first.
    pub episodes: Vec<TakeoverRow>,
    /// When the silent-reviewer timer puts the conversation back in the queue unless the
    /// reviewer (who holds it) replies.
    pub release_at: Option<NaiveDateTime>,
    /// The open conversations the reviewer may see, for the list beside it on wide screens.
    pub list: Vec<QueueRow>,
    pub names: &'a BTreeMap<String, String>,
    pub teams: Vec<String>,
    /// The canned responses the reviewer may insert here, filled in for this conversation.
    pub canned: Vec<super::canned::Suggestion>,
    /// The WhatsApp templates the reviewer may send here, offered once the window has closed.
    pub templates: Vec<super::templates::Offered>,
    /// The session's earlier takeovers and the customer's other conversations.
    pub earlier: crate::db::search::Earlier,
    pub now: NaiveDateTime,
}

fn sender_label(sender: &str, names: &BTreeMap<String, String>) -> (String, &'static str) {
    match Sender::parse(sender) {
        Ok(Sender::User) => ("Customer".into(), "user"),
        Ok(Sender::Ai) => ("AI assistant".into(), "ai"),
        Ok(Sender::Human(name)) => (display(names, &name).to_string(), "human"),
        Ok(Sender::Staff(name)) => (staff::author_label(name.as_deref()), "human staff"),
        Ok(Sender::System) | Err(_) => ("System".into(), "system"),
    }
}

/// JSON laid out for reading; a plain-text value (a JSON string) as its text.
fn pretty(raw: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| raw.to_string()),
        Err(_) => raw.to_string(),
    }
}

pub fn conversation(c: &Conversation<'_>) -> Markup {
    let s = &c.session;
    let chrome = Chrome {
        title: &s.id,
        reviewer: Some(c.reviewer),
        csrf: Some(c.csrf),
        page: "conversation",
        session_id: Some(&s.id),
    };
    layout(
        &chrome,
        html! {
            div.conv.withlist[!c.list.is_empty()] {
                (conversation_list(c))
                section.chat aria-labelledby="conv-title" {
                    div.chathead {
                        a.back href="/inbox" { "← Queue" }
                        h1 #conv-title { span.muted { "Customer " } (s.id) }
                        @if let Some(ch) = &s.channel { span.chip { (ch) } }
                        (reply_window(s, c.now))
                    }
                    (timeline(c))
                    (state_panel(c))
                    (approval_panel(c))
                }
                aside.side aria-label="Customer and handoff context" {
                    (customer_panel(c))
                    (context_panel(c))
                    (notes_panel(c))
                    (earlier_panel(c))
                }
            }
        },
    )
}

fn timeline(c: &Conversation<'_>) -> Markup {
    let key: String = format!(
        "{}|{}",
        c.messages.last().map(|m| m.seq).unwrap_or(0),
        c.messages
            .iter()
            .filter_map(|m| c.deliveries.get(&m.id))
            .map(ReplyDelivery::key)
            .collect::<String>()
    );
    let key = format!("{key}|{}", c.events.len());
    // Messages and hand-offs in the order they happened (a hand-off after the message it
    // followed when both carry the same instant).
    let mut items: Vec<(NaiveDateTime, u8, usize)> = c
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.at, 0, i))
        .chain(
            c.events
                .iter()
                .enumerate()
                .filter(|(_, e)| trail_line(e, c.names).is_some())
                .map(|(i, e)| (e.at, 1, i)),
        )
        .collect();
    items.sort();
    html! {
        ol.timeline #timeline data-live data-key=(key) data-last-seq=(c.messages.last().map(|m| m.seq).unwrap_or(0))
            aria-label="Conversation history" aria-live="polite" {
            @if c.messages.is_empty() { li.muted { "No messages yet." } }
            @for (_, kind, i) in &items {
                @if *kind == 1 {
                    @let e = &c.events[*i];
                    li.trail data-action=(e.action) {
                        (trail_line(e, c.names).unwrap_or_default()) " · " (clock_at(e.at, c.now))
                    }
                } @else {
                @let m = &c.messages[*i];
                @let (who, class) = sender_label(&m.sender, c.names);
                li class={ "msg " (class) } data-seq=(m.seq) {
                    div.bubble {
                        div.by { span.name { (who) } " " (clock_at(m.at, c.now)) }
                        div.text { (m.content) }
                        @if let Some(tc) = &m.tool_calls {
                            details.json { summary { "Tool calls" } pre tabindex="0" { (pretty(tc)) } }
                        }
                        @if let Some(d) = c.deliveries.get(&m.id) {
                            (delivery_line(c, &m.id, d))
                        }
                    }
                }
                }
            }
        }
    }
}

/// Who did it, as the inbox names people: a reviewer by display name, the integration as
/// "the chatbot", Baton's own timers and router as "Baton".
fn actor_name(actor: &str, names: &BTreeMap<String, String>) -> String {
    match actor.split_once(':') {
        Some(("reviewer", name)) => display(names, name).to_string(),
        Some(("api_key", _)) => "The chatbot".into(),
        _ => "Baton".into(),
    }
}

/// One hand-off of the conversation as a line of its timeline, or `None` for entries that are
/// not hand-offs.
fn trail_line(e: &AuditRow, names: &BTreeMap<String, String>) -> Option<String> {
    let who = actor_name(&e.actor, names);
    let detail: serde_json::Value = e
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let field = |k: &str| detail[k].as_str().map(|v| display(names, v).to_string());
    Some(match e.action.as_str() {
        "takeover.requested" => format!("{who} asked for a person"),
        "takeover.claimed" => format!("{who} joined the conversation"),
        "takeover.taken_over" => match field("from") {
            Some(from) => format!("{who} took it over from {from}"),
            None => format!("{who} took it over"),
        },
        "takeover.offered" => format!(
            "Offered to {}",
            field("reviewer").unwrap_or_else(|| "a reviewer".into())
        ),
        "takeover.offer_lapsed" => "The offer lapsed; back in the queue".into(),
        "takeover.transferred" => match (field("to"), field("note")) {
            (Some(to), Some(note)) => format!("{who} transferred it to {to}: “{note}”"),
            (Some(to), None) => format!("{who} transferred it to {to}"),
            _ => format!("{who} transferred it"),
        },
        "takeover.released" => match field("reviewer") {
            Some(r) if detail["reason"] == "reviewer_silent" => {
                format!("{r} went silent; back in the queue")
            }
            _ => format!("{who} released it to the queue"),
        },
        "takeover.escalated" => format!(
            "Nobody claimed it in time; escalated to {}",
            field("to").unwrap_or_else(|| "the next step".into())
        ),
        "takeover.timed_out" => "Nobody claimed it in time".into(),
        "takeover.off_hours" => "Asked outside the team's hours".into(),
        "session.answered_outside" => {
            let name = detail["by"]
                .as_str()
                .and_then(|by| match Sender::parse(by) {
                    Ok(Sender::Staff(name)) => name,
                    _ => None,
                });
            staff::answered_outside_label(name.as_deref())
        }
        "session.handed_back" if detail["reason"] == "outside_quiet_time" => {
            "Quiet time after the outside reply passed; handed back to the AI".into()
        }
        "session.handed_back" => format!("{who} handed it back to the AI"),
        "session.closed" => format!("{who} closed the conversation"),
        "session.reopened" => "Reopened by a new message".into(),
        "approval.decided" => format!(
            "{who} decided: {}",
            field("decision").unwrap_or_else(|| "?".into())
        ),
        _ => return None,
    })
}

/// Where a reply's callback stands: delivered, sending, retrying (which attempt failed and
/// why, when the next one goes) or failed, with "Retry now" for the last two.
fn delivery_line(c: &Conversation<'_>, message_id: &str, d: &ReplyDelivery) -> Markup {
    let endpoint = format!(
        "/v1/sessions/{}/replies/{}/retry",
        super::admin::encode(&c.session.id),
        super::admin::encode(message_id)
    );
    let retry = html! {
        button.link type="button" data-api="POST" data-endpoint=(endpoint)
            data-success="Sending the reply again." { "Retry now" }
    };
    html! {
        @match d {
            ReplyDelivery::Delivered { via_subscription: false } => {
                div.delivery.ok { "✓ Delivered" }
            }
            ReplyDelivery::Delivered { via_subscription: true } => {
                div.delivery.ok title="The takeover's reply webhook has not accepted it, but a Baton Trigger of the workflow has" {
                    "✓ Delivered through the workflow's trigger"
                }
            }
            ReplyDelivery::Sending => { div.delivery data-pending { "Sending…" } }
            ReplyDelivery::Retrying { attempts, next_at, reason } => {
                div.delivery.warn data-pending role="status" {
                    "Not delivered yet: " (reason) " · attempt " (attempts) " failed · next try "
                    (clock_at(*next_at, c.now)) " " (retry)
                }
            }
            ReplyDelivery::Failed { attempts, reason } => {
                div.delivery.bad role="status" {
                    "Not delivered after " (attempts) " attempts: " (reason) " " (retry)
                }
            }
        }
    }
}

/// An open approval: the proposal and the decision form (approvals pause nobody, so they are
/// decided here rather than claimed).
fn approval_panel(c: &Conversation<'_>) -> Markup {
    let Some(t) = c
        .takeover
        .as_ref()
        .filter(|t| Mode::parse(&t.mode) == Some(Mode::Approval))
    else {
        return html! {};
    };
    if TakeoverStatus::parse(&t.status) == Some(TakeoverStatus::Resolved) {
        // What was decided: the outcome, who decided, the edited value and the comment (kept
        // in `decision_payload` and `handback_summary`).
        return html! {
            div.banner.done.decided #approval data-live data-key=(format!("{}|{}", t.status, t.outcome.as_deref().unwrap_or(""))) {
                p { "Approval decided: " strong { (t.outcome.as_deref().unwrap_or("resolved")) }
                    @match &t.claimed_by {
                        Some(by) => { " by " strong { (display(c.names, by)) } }
                        None => { " (no reviewer: applied when the time ran out)" }
                    }
                    @if let Some(at) = t.resolved_at { " · " (clock_at(at, c.now)) }
                }
                @if let Some(edited) = &t.decision_payload {
                    p.label { "Edited value sent to the workflow" }
                    pre.value tabindex="0" { (pretty(edited)) }
                }
                @if let Some(comment) = &t.handback_summary {
                    p.label { "Comment" }
                    p.comment { (comment) }
                }
            }
        };
    }
    let allowed: Vec<String> = t
        .decisions
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_else(|| vec!["approve".into(), "reject".into(), "edit".into()]);
    let proposal = t.proposal.as_deref().map(pretty).unwrap_or_default();
    // The request's default decision is preselected; without one nothing is, so the reviewer
    // has to choose (one careless click must not approve a refund).
    let preset = t
        .default_decision
        .as_deref()
        .filter(|d| allowed.iter().any(|a| a == d));
    html! {
        form.composer #approval data-live data-key=(t.status.clone()) data-action="decision"
            data-endpoint=(format!("/v1/takeovers/{}/decision", t.id)) {
            p { strong { "Approval requested." } " Decide on the proposal; the workflow resumes with your decision." }
            fieldset {
                legend { "Decision" }
                @for d in &allowed {
                    label.radio {
                        input type="radio" name="decision" value=(d) required checked[preset == Some(d.as_str())];
                        " " (d)
                        @if preset == Some(d.as_str()) { span.muted.small { " (the request's default)" } }
                    }
                }
            }
            @if allowed.iter().any(|d| d == "edit") {
                label for="edited" { "Edited proposal (JSON or text; used with “edit”)" }
                textarea #edited name="edited" rows="6" { (proposal) }
            }
            label for="decision-comment" { "Comment (optional)" }
            input #decision-comment name="comment" type="text";
            p.formerror role="alert" {}
            button.primary type="submit" { "Send decision" }
        }
    }
}

fn state_panel(c: &Conversation<'_>) -> Markup {
    let s = &c.session;
    let status = c.status;
    let holder = s.assigned_to.as_deref();
    let mine = status == SessionStatus::HumanActive && holder == Some(c.reviewer.name.as_str());
    // WhatsApp's window closed: the reply box gives way to the template picker (and comes
    // back, through the key, when the customer answers).
    let window_closed = crate::db::sessions::reply_window_closed(s, c.now)
        .map(|at| format!("at {}", utc(at).format("%Y-%m-%d %H:%M UTC")));
    let key = format!(
        "{}|{}|{}|{}",
        s.status,
        holder.unwrap_or(""),
        c.release_at.map(|at| at.to_string()).unwrap_or_default(),
        window_closed.is_some()
    );
    // An approval pauses nobody: the AI keeps talking while it waits, and the approval panel
    // says all there is to say.
    let approval = c
        .takeover
        .as_ref()
        .is_some_and(|t| Mode::parse(&t.mode) == Some(Mode::Approval));
    html! {
        div.state #state data-live data-key=(key) data-names=(names_json(c.names)) {
            @match status {
                SessionStatus::HumanRequested => {
                    div.banner.waiting {
                        p { strong { "The customer is waiting for a person." } " Claim the conversation to reply." }
                        div.actions {
                            button.primary type="button" data-action="claim" { "Claim conversation" }
                            (close_button())
                        }
                    }
                }
                SessionStatus::HumanActive if mine => {
                    @if let Some(at) = c.release_at {
                        p.silence.small {
                            "The customer is waiting for your answer: this conversation goes back to the queue in "
                            (until(at, c.now)) " unless you reply."
                        }
                    }
                    @if let Some(closed) = window_closed {
                        (super::templates::picker(&c.templates, &closed))
                    } @else {
                    form.composer data-action="replies" {
                        label for="reply" { "Reply to the customer" }
                        textarea #reply name="content" rows="3" required
                            placeholder="Write a reply…" aria-describedby="reply-hint"
                            aria-autocomplete="list" aria-controls="canned-list" {}
                        (super::canned::composer_list(&c.canned))
                        div.row2 {
                            span #reply-hint .muted.small { "Enter sends · Shift+Enter starts a new line · / inserts a canned response" }
                            button.primary type="submit" { "Send" }
                        }
                        p.formerror role="alert" {}
                    }
                    }
                    div.actions.secondary {
                        details.tool {
                            summary { "Hand back to the AI" }
                            form data-action="handback" {
                                label for="summary" { "Summary for the AI (required)" }
                                textarea #summary name="summary" rows="3" required
                                    placeholder="What you resolved and what the AI should do next, e.g. “Refund for order 1234 approved; confirm it if asked.”" {}
                                button.primary type="submit" { "Hand back" }
                                p.formerror role="alert" {}
                            }
                        }
                        details.tool {
                            summary { "Transfer" }
                            form data-action="transfer" {
                                label for="transfer-to" { "Transfer to a team or reviewer" }
                                select #transfer-to name="to" required {
                                    optgroup label="Teams" {
                                        @for t in &c.teams { option value=(t) { (t) } }
                                    }
                                    optgroup label="Reviewers" {
                                        @for (name, shown) in c.names.iter().filter(|(n, _)| **n != c.reviewer.name) {
                                            option value=(name) { (shown) " (" (name) ")" }
                                        }
                                    }
                                }
                                label for="transfer-note" { "Note for them (optional)" }
                                input #transfer-note name="note";
                                button type="submit" { "Transfer" }
                                p.formerror role="alert" {}
                            }
                        }
                        button type="button" data-action="release" { "Release to queue" }
                        (close_button())
                    }
                }
                SessionStatus::HumanActive => {
                    div.banner {
                        p { strong { (display(c.names, holder.unwrap_or("?"))) } " is handling this conversation." }
                        @if c.reviewer.is_admin {
                            @let endpoint = format!("/v1/sessions/{}/claim", super::admin::encode(&s.id));
                            @let ask = format!("Take this conversation over from {}? They can no longer reply to the customer.", display(c.names, holder.unwrap_or("?")));
                            button type="button" data-api="POST" data-endpoint=(endpoint)
                                data-body=r#"{"take_over":true}"# data-confirm=(ask)
                                data-success="You hold the conversation now." { "Take over" }
                        }
                    }
                }
                SessionStatus::StaffActive => {
                    div.banner.outside {
                        p {
                            strong { (staff::answered_outside_label(answered_outside(s).flatten().as_deref())) } "."
                            @if let Some(t) = &c.takeover {
                                " The AI stays silent and answers again in " (until(t.expires_at, c.now)) " unless they write again."
                            }
                            " Claim the conversation to reply from Baton."
                        }
                        div.actions {
                            button.primary type="button" data-action="claim" { "Claim conversation" }
                            (close_button())
                        }
                    }
                }
                SessionStatus::HandedBack => {
                    div.banner.done { p { "Handed back to the AI. It answers the customer's next message." } }
                }
                SessionStatus::Ai if approval => {}
                SessionStatus::Ai => {
                    div.banner.done { p { "The AI is answering this conversation." } }
                }
                SessionStatus::Closed => {
                    div.banner.done { p { "This conversation is closed." } }
                }
            }
        }
    }
}

/// Sign-in names to display names, for the script's messages ("Alice got it first").
fn names_json(names: &BTreeMap<String, String>) -> String {
    serde_json::to_string(names).unwrap_or_else(|_| "{}".into())
}

fn close_button() -> Markup {
    html! { button.danger type="button" data-action="close" data-confirm="Close this conversation? The customer gets no further replies from a person." { "Close" } }
}

fn context_panel(c: &Conversation<'_>) -> Markup {
    let s = &c.session;
    let key = c
        .takeover
        .as_ref()
        .map(|t| format!("{}|{}", t.id, t.status))
        .unwrap_or_default();
    html! {
        section.panel #context data-live data-key=(key) aria-labelledby="ctx-title" {
            h2 #ctx-title { "Why the AI stopped" }
            @if let Some(t) = &c.takeover {
                p.reason { strong { (reason_label(&t.reason)) } }
                @if let Some(sum) = &t.summary { p { (sum) } }
                dl {
                    dt { "Requested" } dd { (clock_at(t.created_at, c.now)) " (" (since(t.created_at, c.now)) " ago)" }
                    @if TakeoverStatus::parse(&t.status) == Some(TakeoverStatus::Requested) {
                        dt { "Escalates in" } dd { (until(t.expires_at, c.now)) }
                    }
                    @if let Some(a) = &t.assignee { dt { "Assigned to" } dd { (display(c.names, a)) } }
                    dt { "Priority" } dd { (t.priority) }
                    dt { "Channel" } dd { (s.channel.as_deref().unwrap_or("—")) }
                    dt { "Session id" } dd { code { (s.id) } }
                    dt { "Takeover id" } dd { code { (t.id) } }
                }
                @if let Some(p) = &t.proposal {
                    details.json open { summary { "Proposal" } pre tabindex="0" { (pretty(p)) } }
                }
                @if let Some(ctx) = &t.context {
                    @match serde_json::from_str::<serde_json::Value>(ctx) {
                        Ok(serde_json::Value::Object(map)) => {
                            @for (k, v) in &map {
                                details.json {
                                    summary { (k.replace('_', " ")) }
                                    pre tabindex="0" { (serde_json::to_string_pretty(v).unwrap_or_default()) }
                                }
                            }
                        }
                        _ => { details.json { summary { "Context" } pre tabindex="0" { (pretty(ctx)) } } }
                    }
                }
            } @else {
                p.muted { "No takeover was requested for this conversation." }
            }
        }
    }
}

/// The open conversations beside the one on screen (wide screens only; a phone shows one pane
/// and goes back to the queue): mine first, then waiting, then the rest, unread first in each.
fn conversation_list(c: &Conversation<'_>) -> Markup {
    if c.list.is_empty() {
        return html! {};
    }
    let key: String = c
        .list
        .iter()
        .map(|r| {
            format!(
                "{}:{}:{}:{};",
                r.takeover.id, r.takeover.updated_at, r.session.next_seq, r.unread
            )
        })
        .collect();
    html! {
        nav.convlist #convlist data-live data-key=(key) aria-labelledby="convlist-title" {
            h2 #convlist-title { "Open conversations" }
            ul {
                @for r in &c.list {
                    @let t = &r.takeover;
                    @let current = t.session_id == c.session.id;
                    @let waiting = TakeoverStatus::parse(&t.status) == Some(TakeoverStatus::Requested);
                    li.unread[r.unread > 0].current[current].waiting[waiting] {
                        a href=(inbox_url("", &t.session_id)) aria-current=[current.then_some("page")] {
                            span.top {
                                @if r.unread > 0 {
                                    span.badge { (if r.unread > 99 { "99+".to_string() } else { r.unread.to_string() }) span.visually-hidden { " unread" } }
                                }
                                span.customer { (t.session_id) }
                                span.who.muted.small {
                                    @if waiting { "waiting" }
                                    @else if t.claimed_by.as_deref() == Some(c.reviewer.name.as_str()) { "you" }
                                    @else { (display(c.names, t.claimed_by.as_deref().unwrap_or("?"))) }
                                }
                            }
                            @if let Some(m) = &r.last_message {
                                span.lastline.small {
                                    (last_sender(&m.sender, &c.reviewer.name, c.names))
                                    ": " (m.content)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Who the customer is: their ids, what the workflow said about them, and how their earlier
/// handoffs ended.
fn customer_panel(c: &Conversation<'_>) -> Markup {
    let s = &c.session;
    let earlier: Vec<&TakeoverRow> = c
        .episodes
        .iter()
        .filter(|t| Some(t.id.as_str()) != c.takeover.as_ref().map(|x| x.id.as_str()))
        .collect();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for t in &earlier {
        let label = match t.outcome.as_deref().and_then(Outcome::parse) {
            Some(o) => outcome_label(o).to_lowercase(),
            None => "open".to_string(),
        };
        *outcomes.entry(label).or_default() += 1;
    }
    let name = c.customer.as_ref().and_then(|k| k.get("name"));
    let key = format!(
        "{}|{}",
        c.episodes.len(),
        c.customer
            .as_ref()
            .map(|k| k.to_stored())
            .unwrap_or_default()
    );
    html! {
        section.panel #customer data-live data-key=(key) aria-labelledby="customer-title" {
            h2 #customer-title { "Customer" @if let Some(n) = name { ": " (n) } }
            dl {
                @if let Some(k) = &c.customer {
                    @for (field, value) in k.ordered() {
                        @if field != "name" {
                            dt { (field.replace(['_', '-', '.'], " ")) }
                            dd.wrap {
                                @if field == "email" && value.contains('@') && !value.contains(char::is_whitespace) {
                                    a href={ "mailto:" (value) } { (value) }
                                } @else { (value) }
                            }
                        }
                    }
                }
                dt { "User id" } dd.wrap { @if let Some(u) = &s.user_id { code { (u) } } @else { span.muted { "not sent" } } }
                dt { "Channel" } dd { (s.channel.as_deref().unwrap_or("—")) }
                @if s.channel_ref != s.id { dt { "Address" } dd.wrap { code { (s.channel_ref) } } }
                dt { "First seen" } dd { (clock_at(s.created_at, c.now)) }
                dt { "Earlier handoffs" }
                dd {
                    @if earlier.is_empty() { "none" } @else {
                        (earlier.len())
                        " ("
                        @for (i, (label, n)) in outcomes.iter().enumerate() {
                            @if i > 0 { ", " }
                            (n) " " (label)
                        }
                        ")"
                    }
                }
            }
        }
    }
}

fn notes_panel(c: &Conversation<'_>) -> Markup {
    let open = c.session.open_takeover_id.is_some();
    html! {
        section.panel aria-labelledby="notes-title" {
            h2 #notes-title { "Internal notes" }
            p.muted.small { "Only reviewers see these; never the customer or the AI." }
            ul.notes #notes data-live data-key=(c.notes.len()) {
                @for n in &c.notes {
                    li { div.by { strong { (display(c.names, &n.author)) } " " (clock_at(n.created_at, c.now)) } div.text { (n.content) } }
                }
            }
            div #notes-form data-live data-key=(open) {
                @if open {
                    form data-action="notes" {
                        label for="note" { "Add a note" }
                        textarea #note name="content" rows="2" required {}
                        button type="submit" { "Add note" }
                        p.formerror role="alert" {}
                    }
                }
            }
        }
    }
}

/// Earlier handoffs of this conversation (reason, outcome, who held it, when) and the
/// customer's other conversations the reviewer may open; nothing when there are none.
fn earlier_panel(c: &Conversation<'_>) -> Markup {
    let e = &c.earlier;
    if e.takeovers.is_empty() && e.sessions.is_empty() {
        return html! {};
    }
    html! {
        section.panel.earlier aria-labelledby="earlier-title" {
            h2 #earlier-title { "Earlier handoffs" }
            @if !e.takeovers.is_empty() {
                ul.earlier-list {
                    @for t in &e.takeovers {
                        li {
                            strong { (reason_label(&t.reason)) }
                            " · " (t.outcome.as_deref().and_then(Outcome::parse).map(outcome_label).unwrap_or("Open"))
                            @if let Some(by) = &t.claimed_by { " · held by " (display(c.names, by)) }
                            br;
                            span.muted.small { (clock_at(t.created_at, c.now)) }
                        }
                    }
                }
            }
            @if !e.sessions.is_empty() {
                h3 { "Same customer" }
                ul.earlier-list {
                    @for s in &e.sessions {
                        li {
                            a href=(inbox_url("", &s.id)) { (s.id) }
                            " " span.muted.small { (clock_at(s.updated_at, c.now)) }
                        }
                    }
                }
            }
        }
    }
}

/// A tiny page for errors a browser shows (the API answers problem+json instead).
pub fn message_page(title: &str, text: &str) -> Markup {
    let chrome = Chrome {
        title,
        reviewer: None,
        csrf: None,
        page: "message",
        session_id: None,
    };
    layout(
        &chrome,
        html! { section.card { h1 { (title) } p { (text) } p { a href="/inbox" { "Back to the queue" } } } },
    )
}
