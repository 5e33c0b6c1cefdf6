//! The Insights page: handoff figures and charts over a range, and the weekly review list (why
//! customers were handed to a person, and the messages that did it). Figures come from
//! `domain::stats`, the review from `domain::review`; the charts are `charts`.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use maud::{html, Markup};

use super::charts::{self, Series};
use super::views::{layout, reason_label, span, Chrome};
use crate::auth::ReviewerAuth;
use crate::domain::review::ReasonGroup;
use crate::domain::stats::{figures, percentiles, rehandoffs_within_24h, Fact};
use crate::routes::dto::inbox_url;

/// The ranges offered, in days.
pub const RANGES: [i64; 5] = [1, 7, 14, 30, 90];

/// Everything the page shows.
pub struct Insights<'a> {
    pub reviewer: &'a ReviewerAuth,
    pub csrf: &'a str,
    pub days: i64,
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    /// Takeovers in the range the reviewer may see.
    pub facts: Vec<Fact>,
    /// Sessions with any message in the range; for admins only (others see only their teams).
    pub active_sessions: Option<usize>,
    pub reasons: Vec<ReasonGroup>,
    /// Handoffs the review looked at.
    pub reviewed: usize,
}

fn outcome_label(outcome: &str) -> String {
    match outcome {
        "handed_back" => "Handed back to the AI".into(),
        "closed" => "Closed".into(),
        "unanswered" => "Nobody answered".into(),
        "timed_out" => "Timed out".into(),
        "approved" => "Approved".into(),
        "rejected" => "Rejected".into(),
        "edited" => "Edited and approved".into(),
        "open" => "Still open".into(),
        other => other.replace('_', " "),
    }
}

/// The unit that keeps the largest wait readable: seconds, minutes or hours.
fn wait_unit(max_seconds: f64) -> (&'static str, f64) {
    if max_seconds < 120.0 {
        ("seconds", 1.0)
    } else if max_seconds < 7200.0 {
        ("minutes", 60.0)
    } else {
        ("hours", 3600.0)
    }
}

fn shown(seconds: Option<f64>) -> String {
    seconds
        .map(|s| span(s.round() as i64))
        .unwrap_or_else(|| "—".into())
}

/// Every day of the range, oldest first.
fn days_of(from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDate> {
    let last = (to - Duration::microseconds(1)).date();
    let mut day = from.date();
    let mut out = Vec::new();
    while day <= last {
        out.push(day);
        day += Duration::days(1);
    }
    out
}

pub fn page(p: &Insights<'_>) -> Markup {
    let chrome = Chrome {
        title: "Insights",
        reviewer: Some(p.reviewer),
        csrf: Some(p.csrf),
        page: "insights",
        session_id: None,
    };
    let all = figures(&p.facts);
    let scope = if p.reviewer.is_admin {
        "all teams".to_string()
    } else if p.reviewer.team_names.is_empty() {
        "conversations assigned to you".to_string()
    } else {
        format!("your teams: {}", p.reviewer.team_names.join(", "))
    };
    layout(
        &chrome,
        html! {
            div.pagehead {
                h1 { "Insights" }
                form.range method="get" action="/inbox/insights" {
                    label for="days" { "Range" }
                    select #days name="days" {
                        @for d in RANGES {
                            option value=(d) selected[d == p.days] {
                                @if d == 1 { "Last 24 hours" } @else { "Last " (d) " days" }
                            }
                        }
                    }
                    button type="submit" { "Show" }
                }
            }
            p.muted {
                "From " (p.from.format("%Y-%m-%d %H:%M")) " to " (p.to.format("%Y-%m-%d %H:%M")) " UTC, "
                (scope) "."
            }
            (tiles(p, &all))
            div.charts {
                (per_day(p))
                (claim_times(p))
                (reason_mix(p))
                (outcomes(&all.outcomes))
            }
            (review_list(p))
        },
    )
}

fn tiles(p: &Insights<'_>, all: &crate::domain::stats::Figures) -> Markup {
    let sessions_with_handoff = p
        .facts
        .iter()
        .filter(|f| f.mode != "approval")
        .map(|f| f.session_id.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len();
    html! {
        dl.tiles {
            div { dt { "Handoffs" } dd { (all.handoffs) } }
            div {
                dt { "Conversations handed off" }
                dd {
                    (sessions_with_handoff)
                    @if let Some(active) = p.active_sessions.filter(|a| *a > 0) {
                        " " span.small.muted { "of " (active.max(sessions_with_handoff)) " active ("
                            (format!("{:.0}", 100.0 * sessions_with_handoff as f64 / active.max(sessions_with_handoff) as f64)) " %)" }
                    }
                }
            }
            div { dt { "Time to claim, median" } dd { (shown(all.time_to_claim.p50)) } }
            div { dt { "Time to claim, 90th percentile" } dd { (shown(all.time_to_claim.p90)) } }
            div { dt { "Handling time, median" } dd { (shown(all.handling_time.p50)) } }
            div { dt { "Escalated" } dd { (all.escalated) } }
            div { dt { "Back within 24 h of a handback" } dd { (rehandoffs_within_24h(&p.facts)) } }
            div { dt { "Approval requests" } dd { (all.approvals) } }
        }
    }
}

fn per_day(p: &Insights<'_>) -> Markup {
    let days = days_of(p.from, p.to);
    let mut handoffs: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    let mut approvals: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    for f in &p.facts {
        let bucket = if f.mode == "approval" {
            &mut approvals
        } else {
            &mut handoffs
        };
        *bucket.entry(f.created_at.date()).or_default() += 1.0;
    }
    let labels: Vec<String> = days
        .iter()
        .map(|d| d.format("%b %-d").to_string())
        .collect();
    let h: Vec<Option<f64>> = days
        .iter()
        .map(|d| Some(handoffs.get(d).copied().unwrap_or(0.0)))
        .collect();
    let a: Vec<Option<f64>> = days
        .iter()
        .map(|d| Some(approvals.get(d).copied().unwrap_or(0.0)))
        .collect();
    let rows: Vec<Vec<String>> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            vec![
                d.to_string(),
                format!("{}", h[i].unwrap_or(0.0)),
                format!("{}", a[i].unwrap_or(0.0)),
            ]
        })
        .collect();
    html! {
        figure.panel.chartbox {
            figcaption { h2 { "Handoffs per day" } }
            (legend(&[("Handoffs", "s1"), ("Approval requests", "s2")]))
            (charts::bars("chart-per-day", "Handoffs per day",
                &format!("{} handoffs and {} approval requests over {} days", h.iter().flatten().sum::<f64>(), a.iter().flatten().sum::<f64>(), days.len()),
                &labels,
                &[Series { name: "handoffs", class: "s1", values: h }, Series { name: "approval requests", class: "s2", values: a }]))
            (charts::data_table("Handoffs per day", &["Day", "Handoffs", "Approval requests"], &rows))
        }
    }
}

fn claim_times(p: &Insights<'_>) -> Markup {
    let days = days_of(p.from, p.to);
    let mut waits: BTreeMap<NaiveDate, Vec<f64>> = BTreeMap::new();
    for f in &p.facts {
        if let Some(c) = f.claimed_at {
            waits
                .entry(f.created_at.date())
                .or_default()
                .push((c - f.created_at).num_milliseconds() as f64 / 1000.0);
        }
    }
    let per_day: Vec<_> = days
        .iter()
        .map(|d| percentiles(waits.get(d).cloned().unwrap_or_default()))
        .collect();
    let labels: Vec<String> = days
        .iter()
        .map(|d| d.format("%b %-d").to_string())
        .collect();
    let longest = per_day.iter().filter_map(|x| x.p90).fold(0.0, f64::max);
    let (unit, per) = wait_unit(longest);
    let scaled = |v: Option<f64>| v.map(|s| (s / per * 10.0).round() / 10.0);
    let p50: Vec<Option<f64>> = per_day.iter().map(|x| scaled(x.p50)).collect();
    let p90: Vec<Option<f64>> = per_day.iter().map(|x| scaled(x.p90)).collect();
    let rows: Vec<Vec<String>> = days
        .iter()
        .zip(&per_day)
        .map(|(d, x)| {
            vec![
                d.to_string(),
                x.count.to_string(),
                shown(x.p50),
                shown(x.p90),
            ]
        })
        .collect();
    html! {
        figure.panel.chartbox {
            figcaption { h2 { "Time to claim per day" } }
            (legend(&[("Median (p50)", "s1"), ("90th percentile (p90)", "s3")]))
            (charts::lines("chart-claim", "Time to claim per day",
                &format!("How long customers waited for a person after the handoff was requested, median and 90th percentile per day, in {unit}"),
                &labels,
                &[Series { name: "p50", class: "s1", values: p50 }, Series { name: "p90", class: "s3", values: p90 }],
                &format!(" {unit}")))
            p.muted.small { "In " (unit) "." }
            (charts::data_table("Time to claim per day", &["Day", "Claimed", "p50", "p90"], &rows))
        }
    }
}

fn reason_mix(p: &Insights<'_>) -> Markup {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in p.facts.iter().filter(|f| f.mode != "approval") {
        *counts.entry(f.reason.as_str()).or_default() += 1;
    }
    let mut items: Vec<(&str, usize)> = counts.into_iter().collect();
    items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let total: usize = items.iter().map(|(_, n)| n).sum();
    let bars: Vec<(String, f64)> = items
        .iter()
        .map(|(r, n)| (reason_label(r).to_string(), *n as f64))
        .collect();
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|(r, n)| {
            vec![
                reason_label(r).to_string(),
                n.to_string(),
                format!("{:.0} %", 100.0 * *n as f64 / total.max(1) as f64),
            ]
        })
        .collect();
    html! {
        figure.panel.chartbox {
            figcaption { h2 { "Why the AI handed off" } }
            @if items.is_empty() { p.muted { "No handoffs in this range." } }
            @else {
                (charts::hbars("chart-reasons", "Handoff reasons", &format!("{total} handoffs by reason"), &bars))
                (charts::data_table("Handoff reasons", &["Reason", "Handoffs", "Share"], &rows))
            }
        }
    }
}

fn outcomes(outcomes: &BTreeMap<String, usize>) -> Markup {
    let mut items: Vec<(&String, &usize)> = outcomes.iter().collect();
    items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let bars: Vec<(String, f64)> = items
        .iter()
        .map(|(o, n)| (outcome_label(o), **n as f64))
        .collect();
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|(o, n)| vec![outcome_label(o), n.to_string()])
        .collect();
    html! {
        figure.panel.chartbox {
            figcaption { h2 { "Outcomes" } }
            @if items.is_empty() { p.muted { "No takeovers in this range." } }
            @else {
                (charts::hbars("chart-outcomes", "Outcomes", "How the takeovers of the range ended", &bars))
                (charts::data_table("Outcomes", &["Outcome", "Takeovers"], &rows))
            }
        }
    }
}

fn legend(items: &[(&str, &str)]) -> Markup {
    html! {
        ul.legend aria-hidden="true" {
            @for (name, class) in items { li { span class={ "swatch " (class) } {} (name) } }
        }
    }
}

fn review_list(p: &Insights<'_>) -> Markup {
    html! {
        section.review aria-labelledby="review-title" {
            h2 #review-title { "Weekly review: what sent customers to a person" }
            p.muted {
                "Each reason with the customer's last message before the handoff, repeated wordings counted together. "
                "Recurring messages are the ones to teach the AI, or to route straight to a person."
            }
            @if p.reasons.is_empty() {
                div.empty { p { strong { "No handoffs in this range." } } }
            }
            @for (g, group) in p.reasons.iter().enumerate() {
                section.panel.reviewgroup aria-labelledby=(format!("reason-{g}")) {
                    h3 id=(format!("reason-{g}")) {
                        (reason_label(&group.reason)) " "
                        span.count { (group.handoffs) " handoff" @if group.handoffs != 1 { "s" } }
                        " " span.muted.small { (format!("{:.0} %", group.share * 100.0)) }
                    }
                    ol.triggers {
                        @for m in &group.messages {
                            li.trigger {
                                div.quote {
                                    @match &m.text {
                                        Some(t) => { q { (t) } }
                                        None => { span.muted { "(no customer message before the handoff)" } }
                                    }
                                    @if m.count > 1 { " " span.chip.prio { "×" (m.count) } }
                                }
                                ul.links {
                                    @for o in &m.conversations {
                                        li {
                                            a href=(inbox_url("", &o.session_id)) { (o.session_id) }
                                            " " span.muted.small { (super::views::clock(o.requested_at.naive_utc())) }
                                        }
                                    }
                                    @if m.count > m.conversations.len() {
                                        li.muted.small { "and " (m.count - m.conversations.len()) " more" }
                                    }
                                }
                            }
                        }
                    }
                    @if group.distinct_messages > group.messages.len() {
                        p.muted.small { (group.distinct_messages - group.messages.len()) " less frequent messages not shown." }
                    }
                }
            }
            @if p.reviewed as i64 >= crate::db::insights::MAX_TRIGGERS {
                p.muted.small { "Only the newest " (p.reviewed) " handoffs are reviewed; choose a shorter range to see all." }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_covers_each_day_once() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let days = days_of(at("2026-11-18 10:00"), at("2026-11-25 10:00"));
        assert_eq!(days.len(), 8);
        assert_eq!(days[0].to_string(), "2026-11-18");
        assert_eq!(days[7].to_string(), "2026-11-25");
        assert_eq!(
            days_of(at("2026-11-25 00:00"), at("2026-11-26 00:00")).len(),
            1
        );
    }
}
