//! Routing in the database: team policies, reviewer availability and capacity, automatic
//! assignment (offers with a lease), queue positions and expected waits, queue updates.
//!
//! Assignment decisions run one at a time across every replica (a PostgreSQL transaction-level
//! advisory lock; SQLite has a single writer anyway), always in their own transaction, taking the
//! advisory lock before any session lock, so they never deadlock with reviewer actions.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::models::{OfferRow, PresenceRow, TakeoverRow, TeamRoutingRow};
use super::schema::{
    queue_watches, reviewer_presence, reviewers, takeover_offers, takeovers, team_members,
    team_routing, teams,
};
use super::{audit, now, sessions, DbConnection};
use crate::domain::event::EventType;
use crate::domain::hours::{BusinessHours, BusinessHoursBody, Openness};
use crate::domain::routing::QueueInfo;
use crate::domain::routing::{self, AssignmentPolicy, Availability, Candidate, ClaimSample};
use crate::domain::types::utc;
use crate::domain::types::{Mode, TakeoverStatus};
use crate::error::ApiError;

/// How long an offer waits for its reviewer to accept, unless the team says otherwise.
pub const DEFAULT_OFFER_SECONDS: i64 = 120;
/// How far back time-to-claim samples for the expected wait reach.
pub const SAMPLE_DAYS: i64 = 28;

pub fn team_routing(
    conn: &mut DbConnection,
    team_id: &str,
) -> Result<Option<TeamRoutingRow>, ApiError> {
    Ok(team_routing::table.find(team_id).first(conn).optional()?)
}

/// Stores a team's routing settings (created on first write).
pub fn put_team_routing(
    conn: &mut DbConnection,
    row: TeamRoutingRow,
) -> Result<TeamRoutingRow, ApiError> {
    let updated = diesel::update(team_routing::table.find(&row.team_id))
        .set((
            team_routing::policy.eq(&row.policy),
            team_routing::offer_seconds.eq(row.offer_seconds),
            team_routing::business_hours.eq(&row.business_hours),
            team_routing::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(team_routing::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(team_routing::table.find(&row.team_id).first(conn)?)
}

pub fn presence(
    conn: &mut DbConnection,
    reviewer_id: &str,
) -> Result<Option<PresenceRow>, ApiError> {
    Ok(reviewer_presence::table
        .find(reviewer_id)
        .first(conn)
        .optional()?)
}

fn ensure_presence(conn: &mut DbConnection, reviewer_id: &str) -> Result<PresenceRow, ApiError> {
    if let Some(p) = presence(conn, reviewer_id)? {
        return Ok(p);
    }
    let row = PresenceRow {
        reviewer_id: reviewer_id.to_string(),
        availability: Availability::Offline.as_str().into(),
        capacity: None,
        last_seen_at: None,
        last_assigned_at: None,
        changed_at: now(),
    };
    diesel::insert_into(reviewer_presence::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// Sets a reviewer's availability; going online counts as being seen now. Returns the previous.
pub fn set_availability(
    conn: &mut DbConnection,
    reviewer_id: &str,
    availability: Availability,
    actor: &str,
) -> Result<Availability, ApiError> {
    let before = ensure_presence(conn, reviewer_id)?;
    let previous = Availability::parse(&before.availability).unwrap_or_default();
    let at = now();
    let seen = if availability == Availability::Online {
        Some(at)
    } else {
        before.last_seen_at
    };
    diesel::update(reviewer_presence::table.find(reviewer_id))
        .set((
            reviewer_presence::availability.eq(availability.as_str()),
            reviewer_presence::last_seen_at.eq(seen),
            reviewer_presence::changed_at.eq(at),
        ))
        .execute(conn)?;
    if previous != availability {
        audit::record(
            conn,
            audit::Entry {
                actor,
                action: "reviewer.availability",
                session_id: None,
                takeover_id: None,
                from_status: Some(previous.as_str()),
                to_status: Some(availability.as_str()),
                detail: Some(serde_json::json!({"reviewer_id": reviewer_id})),
            },
        )?;
    }
    Ok(previous)
}

/// At an inbox sign-in the reviewer is online, unless a person chose what they are now (they
/// themselves or an admin, in the inbox or the API): an "offline" picked by hand stays. Away set
/// by the presence check or the router, and the default of a new reviewer, give way. True when
/// it set them online.
pub fn online_at_sign_in(conn: &mut DbConnection, reviewer_id: &str) -> Result<bool, ApiError> {
    use super::schema::audit_events;
    let p = ensure_presence(conn, reviewer_id)?;
    if Availability::parse(&p.availability) == Some(Availability::Online) {
        return Ok(false);
    }
    let last_actor: Option<String> = audit_events::table
        .filter(audit_events::action.eq("reviewer.availability"))
        .filter(audit_events::detail.like(format!("%\"reviewer_id\":\"{reviewer_id}\"%")))
        .order(audit_events::at.desc())
        .select(audit_events::actor)
        .first(conn)
        .optional()?;
    if last_actor.is_some_and(|a| a.starts_with("reviewer:")) {
        return Ok(false);
    }
    set_availability(conn, reviewer_id, Availability::Online, "sign_in")?;
    Ok(true)
}

pub fn set_capacity(
    conn: &mut DbConnection,
    reviewer_id: &str,
    capacity: Option<i32>,
) -> Result<(), ApiError> {
    ensure_presence(conn, reviewer_id)?;
    diesel::update(reviewer_presence::table.find(reviewer_id))
        .set(reviewer_presence::capacity.eq(capacity))
        .execute(conn)?;
    Ok(())
}

/// Open conversations of a reviewer: held live takeovers plus offers not yet accepted. One
/// statement, so a claim turning an offer into a held conversation is never seen half-done.
pub fn load_of(conn: &mut DbConnection, reviewer_name: &str) -> Result<i64, ApiError> {
    let offered = takeover_offers::table
        .filter(takeover_offers::reviewer_name.eq(reviewer_name))
        .select(takeover_offers::takeover_id);
    Ok(takeovers::table
        .filter(takeovers::mode.eq(Mode::Takeover.as_str()))
        .filter(
            takeovers::status
                .eq(TakeoverStatus::Claimed.as_str())
                .and(takeovers::claimed_by.eq(reviewer_name))
                .or(takeovers::status
                    .eq(TakeoverStatus::Requested.as_str())
                    .and(takeovers::id.eq_any(offered))),
        )
        .count()
        .get_result(conn)?)
}

/// The reviewer's capacity, if one is set.
pub fn capacity_of(conn: &mut DbConnection, reviewer_id: &str) -> Result<Option<i64>, ApiError> {
    Ok(presence(conn, reviewer_id)?
        .and_then(|p| p.capacity)
        .map(i64::from))
}

/// The live offer of a takeover, if it still applies (requested, same team).
pub fn live_offer(conn: &mut DbConnection, t: &TakeoverRow) -> Result<Option<OfferRow>, ApiError> {
    if TakeoverStatus::parse(&t.status) != Some(TakeoverStatus::Requested) {
        return Ok(None);
    }
    let offer: Option<OfferRow> = takeover_offers::table.find(&t.id).first(conn).optional()?;
    Ok(offer.filter(|o| t.assignee_team_id.as_deref() == Some(o.team_id.as_str())))
}

pub fn clear_offer(conn: &mut DbConnection, takeover_id: &str) -> Result<(), ApiError> {
    diesel::delete(takeover_offers::table.find(takeover_id)).execute(conn)?;
    Ok(())
}

/// Members of a team who are online, with their load and capacity.
fn candidates(conn: &mut DbConnection, team_id: &str) -> Result<Vec<Candidate>, ApiError> {
    let online: Vec<(String, Option<i32>, Option<NaiveDateTime>)> = team_members::table
        .inner_join(reviewers::table.inner_join(reviewer_presence::table))
        .filter(team_members::team_id.eq(team_id))
        .filter(reviewers::disabled_at.is_null())
        .filter(reviewer_presence::availability.eq(Availability::Online.as_str()))
        .select((
            reviewers::name,
            reviewer_presence::capacity,
            reviewer_presence::last_assigned_at,
        ))
        .load(conn)?;
    online
        .into_iter()
        .map(|(name, capacity, last_assigned_at)| {
            Ok(Candidate {
                load: load_of(conn, &name)?,
                name,
                capacity: capacity.map(i64::from),
                last_assigned_at,
            })
        })
        .collect()
}

/// Online members of a team.
fn available_count(conn: &mut DbConnection, team_id: &str) -> Result<i64, ApiError> {
    Ok(team_members::table
        .inner_join(reviewers::table.inner_join(reviewer_presence::table))
        .filter(team_members::team_id.eq(team_id))
        .filter(reviewers::disabled_at.is_null())
        .filter(reviewer_presence::availability.eq(Availability::Online.as_str()))
        .count()
        .get_result(conn)?)
}

/// Takes the cluster-wide assignment lock for this transaction.
fn lock_assignment(conn: &mut DbConnection) -> Result<(), ApiError> {
    if matches!(conn, DbConnection::Postgresql(_)) {
        conn.batch_execute("SELECT pg_advisory_xact_lock(727275)")?;
    }
    Ok(())
}

/// One offer made by automatic assignment.
#[derive(Clone, Debug)]
pub struct Offered {
    pub session_id: String,
    pub takeover_id: String,
    pub reviewer: String,
}

/// Offers waiting conversations of every team with automatic assignment to available
/// reviewers with room, highest priority and longest waiting first. Call in its own transaction.
pub fn dispatch(conn: &mut DbConnection) -> Result<Vec<Offered>, ApiError> {
    lock_assignment(conn)?;
    let auto: Vec<TeamRoutingRow> = team_routing::table
        .filter(team_routing::policy.ne(AssignmentPolicy::Manual.as_str()))
        .load(conn)?;
    let mut offered = Vec::new();
    let at = now();
    for team in auto {
        if !is_open(&team, at) {
            continue;
        }
        offered.extend(dispatch_team(conn, team, at)?);
    }
    Ok(offered)
}

fn dispatch_team(
    conn: &mut DbConnection,
    mut team: TeamRoutingRow,
    at: NaiveDateTime,
) -> Result<Vec<Offered>, ApiError> {
    let policy = AssignmentPolicy::parse(&team.policy).unwrap_or_default();
    let mut offered = Vec::new();
    let mut candidates = candidates(conn, &team.team_id)?;
    if candidates.is_empty() {
        return Ok(offered);
    }
    let waiting: Vec<TakeoverRow> = takeovers::table
        .left_join(takeover_offers::table)
        .filter(takeovers::status.eq(TakeoverStatus::Requested.as_str()))
        .filter(takeovers::mode.eq(Mode::Takeover.as_str()))
        .filter(takeovers::assignee_team_id.eq(&team.team_id))
        .filter(
            takeover_offers::takeover_id
                .is_null()
                .or(takeover_offers::team_id.ne(&team.team_id)),
        )
        .order((takeovers::priority.desc(), takeovers::created_at.asc()))
        .select(takeovers::all_columns)
        .limit(200)
        .load(conn)?;
    for t in waiting {
        let Some(pick) = routing::pick(policy, &candidates, team.last_assigned.as_deref()) else {
            break;
        };
        let name = pick.name.clone();
        // The session lock orders this offer with a claim racing it.
        let s = sessions::lock_existing(conn, &t.session_id)?;
        let Some(fresh) = super::takeovers::get(conn, &t.id)? else {
            continue;
        };
        if TakeoverStatus::parse(&fresh.status) != Some(TakeoverStatus::Requested)
            || s.open_takeover_id.as_deref() != Some(fresh.id.as_str())
            || !sessions::status_of(&s)?.waits_for_reviewer()
        {
            continue;
        }
        clear_offer(conn, &t.id)?;
        diesel::insert_into(takeover_offers::table)
            .values(OfferRow {
                takeover_id: t.id.clone(),
                team_id: team.team_id.clone(),
                reviewer_name: name.clone(),
                offered_at: at,
                expires_at: at + chrono::Duration::seconds(team.offer_seconds),
            })
            .execute(conn)?;
        let reviewer_id: String = reviewers::table
            .filter(reviewers::name.eq(&name))
            .select(reviewers::id)
            .first(conn)?;
        diesel::update(reviewer_presence::table.find(&reviewer_id))
            .set(reviewer_presence::last_assigned_at.eq(Some(at)))
            .execute(conn)?;
        diesel::update(team_routing::table.find(&team.team_id))
            .set(team_routing::last_assigned.eq(Some(&name)))
            .execute(conn)?;
        team.last_assigned = Some(name.clone());
        if let Some(c) = candidates.iter_mut().find(|c| c.name == name) {
            c.load += 1;
            c.last_assigned_at = Some(at);
        }
        audit::record(
            conn,
            audit::Entry {
                actor: "router",
                action: "takeover.offered",
                session_id: Some(&s.id),
                takeover_id: Some(&t.id),
                from_status: Some(&s.status),
                to_status: Some(&s.status),
                detail: Some(serde_json::json!({
                    "reviewer": name, "policy": policy.as_str(),
                    "expires_in_seconds": team.offer_seconds,
                })),
            },
        )?;
        offered.push(Offered {
            session_id: s.id,
            takeover_id: t.id,
            reviewer: name,
        });
    }
    Ok(offered)
}

/// Offers nobody accepted in time go back to the queue; their reviewer is set away (they are
/// evidently not at the inbox), so the next round offers the conversation to someone who is.
/// Returns the sessions affected.
pub fn lapse_offers(conn: &mut DbConnection) -> Result<Vec<String>, ApiError> {
    lock_assignment(conn)?;
    let at = now();
    let due: Vec<(OfferRow, TakeoverRow)> = takeover_offers::table
        .inner_join(takeovers::table)
        .filter(takeover_offers::expires_at.le(at))
        .select((takeover_offers::all_columns, takeovers::all_columns))
        .limit(100)
        .load(conn)?;
    let mut sessions_changed = Vec::new();
    for (offer, t) in due {
        clear_offer(conn, &offer.takeover_id)?;
        if TakeoverStatus::parse(&t.status) != Some(TakeoverStatus::Requested) {
            continue;
        }
        let reviewer_id: Option<String> = reviewers::table
            .filter(reviewers::name.eq(&offer.reviewer_name))
            .select(reviewers::id)
            .first(conn)
            .optional()?;
        if let Some(id) = reviewer_id {
            let online = presence(conn, &id)?
                .is_some_and(|p| p.availability == Availability::Online.as_str());
            if online {
                set_availability(conn, &id, Availability::Away, "router")?;
            }
        }
        audit::record(
            conn,
            audit::Entry {
                actor: "router",
                action: "takeover.offer_lapsed",
                session_id: Some(&t.session_id),
                takeover_id: Some(&t.id),
                from_status: None,
                to_status: None,
                detail: Some(serde_json::json!({"reviewer": offer.reviewer_name})),
            },
        )?;
        sessions_changed.push(t.session_id);
    }
    Ok(sessions_changed)
}

/// Marks reviewers connected to this replica as seen now.
pub fn heartbeat(conn: &mut DbConnection, reviewer_ids: &[String]) -> Result<(), ApiError> {
    if reviewer_ids.is_empty() {
        return Ok(());
    }
    diesel::update(
        reviewer_presence::table.filter(reviewer_presence::reviewer_id.eq_any(reviewer_ids)),
    )
    .set(reviewer_presence::last_seen_at.eq(Some(now())))
    .execute(conn)?;
    Ok(())
}

/// Online reviewers not seen for `grace` (their inbox has been disconnected that long) become
/// away. Returns their ids.
pub fn sweep_away(
    conn: &mut DbConnection,
    grace: std::time::Duration,
) -> Result<Vec<String>, ApiError> {
    let before = now() - chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::minutes(1));
    let gone: Vec<String> = reviewer_presence::table
        .filter(reviewer_presence::availability.eq(Availability::Online.as_str()))
        .filter(
            reviewer_presence::last_seen_at
                .lt(before)
                .or(reviewer_presence::last_seen_at.is_null()),
        )
        .select(reviewer_presence::reviewer_id)
        .load(conn)?;
    for id in &gone {
        set_availability(conn, id, Availability::Away, "presence")?;
    }
    Ok(gone)
}

/// Which queue a takeover waits in.
enum Queue<'a> {
    Team(&'a str),
    Reviewer(&'a str),
    Anyone,
}

fn queue_of(t: &TakeoverRow) -> Queue<'_> {
    match (&t.assignee_team_id, &t.assignee_reviewer_id) {
        (Some(team), _) => Queue::Team(team),
        (None, Some(r)) => Queue::Reviewer(r),
        (None, None) => Queue::Anyone,
    }
}

/// Where a waiting takeover stands in its queue, and how long its customer should expect to
/// wait. `None` unless it is a live takeover still waiting for a reviewer.
pub fn queue_info(conn: &mut DbConnection, t: &TakeoverRow) -> Result<Option<QueueInfo>, ApiError> {
    if TakeoverStatus::parse(&t.status) != Some(TakeoverStatus::Requested)
        || Mode::parse(&t.mode) != Some(Mode::Takeover)
    {
        return Ok(None);
    }
    let at = now();
    let same_queue = || {
        let q = takeovers::table
            .filter(takeovers::status.eq(TakeoverStatus::Requested.as_str()))
            .filter(takeovers::mode.eq(Mode::Takeover.as_str()))
            .into_boxed();
        match queue_of(t) {
            Queue::Team(team) => q.filter(takeovers::assignee_team_id.eq(team.to_string())),
            Queue::Reviewer(r) => q
                .filter(takeovers::assignee_team_id.is_null())
                .filter(takeovers::assignee_reviewer_id.eq(r.to_string())),
            Queue::Anyone => q
                .filter(takeovers::assignee_team_id.is_null())
                .filter(takeovers::assignee_reviewer_id.is_null()),
        }
    };
    let ahead: i64 = same_queue()
        .filter(
            takeovers::priority
                .gt(t.priority)
                .or(takeovers::priority.eq(t.priority).and(
                    takeovers::created_at
                        .lt(t.created_at)
                        .or(takeovers::created_at
                            .eq(t.created_at)
                            .and(takeovers::id.lt(&t.id))),
                )),
        )
        .count()
        .get_result(conn)?;
    let waiting: i64 = same_queue().count().get_result(conn)?;
    let position = ahead + 1;

    let since = at - chrono::Duration::days(SAMPLE_DAYS);
    let samples_q = takeovers::table
        .filter(takeovers::mode.eq(Mode::Takeover.as_str()))
        .filter(takeovers::claimed_at.ge(since))
        .into_boxed();
    let samples_q = match queue_of(t) {
        Queue::Team(team) => samples_q.filter(takeovers::assignee_team_id.eq(team.to_string())),
        Queue::Reviewer(r) => samples_q
            .filter(takeovers::assignee_team_id.is_null())
            .filter(takeovers::assignee_reviewer_id.eq(r.to_string())),
        Queue::Anyone => samples_q
            .filter(takeovers::assignee_team_id.is_null())
            .filter(takeovers::assignee_reviewer_id.is_null()),
    };
    let samples: Vec<ClaimSample> = samples_q
        .select((takeovers::created_at, takeovers::claimed_at))
        .limit(5_000)
        .load::<(NaiveDateTime, Option<NaiveDateTime>)>(conn)?
        .into_iter()
        .filter_map(|(requested_at, claimed)| {
            claimed.map(|claimed_at| ClaimSample {
                requested_at,
                claimed_at,
            })
        })
        .collect();
    let (team_name, available, routing) = match queue_of(t) {
        Queue::Team(team) => {
            let name: Option<String> = teams::table
                .find(team)
                .select(teams::name)
                .first(conn)
                .optional()?;
            (
                name,
                available_count(conn, team)?,
                team_routing(conn, team)?,
            )
        }
        Queue::Reviewer(_) => (None, 1, None),
        Queue::Anyone => {
            let online: i64 = reviewer_presence::table
                .filter(reviewer_presence::availability.eq(Availability::Online.as_str()))
                .count()
                .get_result(conn)?;
            (None, online, None)
        }
    };
    let opens_at = routing.as_ref().and_then(|r| opens_at_if_closed(r, at));
    let mut expected = routing::expected_wait(&samples, at, position, available);
    if let (Some(opens), Some(wait)) = (opens_at.flatten(), expected.as_mut()) {
        *wait += (opens - at).num_seconds().max(0);
    }
    let offer = live_offer(conn, t)?;
    Ok(Some(QueueInfo {
        team: team_name,
        position,
        waiting,
        expected_wait_seconds: expected,
        open: opens_at.is_none(),
        opens_at: opens_at.flatten().map(utc),
        offered_to: offer.as_ref().map(|o| o.reviewer_name.clone()),
        offer_expires_at: offer.map(|o| utc(o.expires_at)),
    }))
}

/// Asks for `queue.updated` callbacks for a takeover.
pub fn watch(conn: &mut DbConnection, takeover_id: &str) -> Result<(), ApiError> {
    diesel::insert_into(queue_watches::table)
        .values((
            queue_watches::takeover_id.eq(takeover_id),
            queue_watches::last_position.eq(None::<i64>),
            queue_watches::last_sent_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn is_watched(conn: &mut DbConnection, takeover_id: &str) -> Result<bool, ApiError> {
    Ok(queue_watches::table
        .find(takeover_id)
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Sends `queue.updated` to every watched waiting takeover whose position changed, at most once
/// per `interval` each. Returns the sessions told (their live notice is the caller's, after the
/// commit: a web chat visitor's stream shows the sentence then).
pub fn send_queue_updates(
    conn: &mut DbConnection,
    interval: std::time::Duration,
) -> Result<Vec<String>, ApiError> {
    let at = now();
    let quiet_since =
        at - chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::minutes(1));
    let watched: Vec<(String, Option<i64>, Option<NaiveDateTime>)> = queue_watches::table
        .inner_join(takeovers::table)
        .filter(takeovers::status.eq(TakeoverStatus::Requested.as_str()))
        .filter(
            queue_watches::last_sent_at
                .is_null()
                .or(queue_watches::last_sent_at.le(quiet_since)),
        )
        .select((
            queue_watches::takeover_id,
            queue_watches::last_position,
            queue_watches::last_sent_at,
        ))
        .limit(500)
        .load(conn)?;
    let mut sent = Vec::new();
    for (id, last_position, _) in watched {
        let Some(t) = super::takeovers::get(conn, &id)? else {
            continue;
        };
        let s = sessions::get(conn, &t.session_id)?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("takeover without session")))?;
        // A customer a person outside Baton is answering is not waiting in a queue.
        if !sessions::status_of(&s)?.waits_for_reviewer() {
            continue;
        }
        let Some(info) = queue_info(conn, &t)? else {
            continue;
        };
        if last_position == Some(info.position) {
            continue;
        }
        let mut ev = super::takeovers::event(EventType::QueueUpdated, &s, &t);
        ev.text = Some(queue_sentence(
            conn,
            &t,
            info.position,
            info.expected_wait_seconds,
        )?);
        ev.position = Some(info.position);
        ev.expected_wait_seconds = info.expected_wait_seconds;
        ev.opens_at = info.opens_at;
        super::takeovers::send(conn, &ev, &t, None)?;
        diesel::update(queue_watches::table.find(&id))
            .set((
                queue_watches::last_position.eq(Some(info.position)),
                queue_watches::last_sent_at.eq(Some(at)),
            ))
            .execute(conn)?;
        sent.push(s.id.clone());
    }
    Ok(sent)
}

/// A team's business hours, when it has a schedule (stored as validated JSON).
pub fn hours_of(row: &TeamRoutingRow) -> Option<BusinessHours> {
    let raw = row.business_hours.as_deref()?;
    let parsed = serde_json::from_str::<BusinessHoursBody>(raw)
        .map_err(|e| e.to_string())
        .and_then(|body| BusinessHours::parse(&body).map_err(|e| format!("{e:?}")));
    match parsed {
        Ok(hours) => Some(hours),
        Err(e) => {
            // Only written after validation; a schedule that no longer parses (a time zone
            // dropped from the database, say) counts as always open, loudly.
            tracing::warn!(team_id = %row.team_id, error = %e, "stored business hours do not parse; treating the team as open");
            None
        }
    }
}

/// Whether the team is open at `at` (a team without a schedule always is).
pub fn is_open(row: &TeamRoutingRow, at: NaiveDateTime) -> bool {
    opens_at_if_closed(row, at).is_none()
}

/// `None` while the team is open; when closed, `Some` of its next opening (`None` inside: it
/// never opens again within a year).
pub fn opens_at_if_closed(
    row: &TeamRoutingRow,
    at: NaiveDateTime,
) -> Option<Option<NaiveDateTime>> {
    match hours_of(row)?.status_at(utc(at)) {
        Openness::Open { .. } => None,
        Openness::Closed { opens_at } => Some(opens_at.map(|t| t.naive_utc())),
    }
}

/// The reviewers of a team (not disabled) with their presence, by name.
pub fn team_reviewers(
    conn: &mut DbConnection,
    team_id: &str,
) -> Result<Vec<(super::models::ReviewerRow, Option<PresenceRow>)>, ApiError> {
    Ok(team_members::table
        .inner_join(reviewers::table.left_join(reviewer_presence::table))
        .filter(team_members::team_id.eq(team_id))
        .filter(reviewers::disabled_at.is_null())
        .order(reviewers::name.asc())
        .select((
            reviewers::all_columns,
            reviewer_presence::all_columns.nullable(),
        ))
        .load(conn)?)
}

/// After a manual claim: a warning when the reviewer now holds more than their capacity.
pub fn capacity_warning(
    conn: &mut DbConnection,
    reviewer_id: &str,
    reviewer_name: &str,
) -> Result<Option<String>, ApiError> {
    let Some(capacity) = capacity_of(conn, reviewer_id)? else {
        return Ok(None);
    };
    let load = load_of(conn, reviewer_name)?;
    Ok((load > capacity).then(|| {
        format!("you now hold {load} conversations, more than your capacity of {capacity}")
    }))
}

/// The offers of these takeovers, by takeover id.
pub fn offers_of(
    conn: &mut DbConnection,
    takeover_ids: &[String],
) -> Result<std::collections::HashMap<String, OfferRow>, ApiError> {
    if takeover_ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<OfferRow> = takeover_offers::table
        .filter(takeover_offers::takeover_id.eq_any(takeover_ids))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|o| (o.takeover_id.clone(), o))
        .collect())
}

/// Teams closed at `at` by their business hours, with their next opening.
pub fn closed_teams(
    conn: &mut DbConnection,
    at: NaiveDateTime,
) -> Result<std::collections::HashMap<String, Option<NaiveDateTime>>, ApiError> {
    let scheduled: Vec<TeamRoutingRow> = team_routing::table
        .filter(team_routing::business_hours.is_not_null())
        .load(conn)?;
    Ok(scheduled
        .iter()
        .filter_map(|t| opens_at_if_closed(t, at).map(|o| (t.team_id.clone(), o)))
        .collect())
}

/// The `queue.updated` sentence: Baton's English wording (which says "less than a minute")
/// unless the customer's language or an admin's template says otherwise.
fn queue_sentence(
    conn: &mut DbConnection,
    t: &TakeoverRow,
    position: i64,
    expected_wait: Option<i64>,
) -> Result<String, ApiError> {
    use crate::domain::texts::{render, TextKey};
    let who = super::texts::listener(conn, t)?;
    let key = match (position, expected_wait) {
        (..=1, _) => TextKey::QueueNext,
        (_, Some(_)) => TextKey::Queue,
        (_, None) => TextKey::QueueNoWait,
    };
    let english = who.lang.as_ref().is_none_or(|l| l.as_str() == "en");
    let template = super::texts::template(conn, &who, key, None)?;
    let built_in = crate::domain::texts::built_in(key, "en").unwrap_or_default();
    if english && template == built_in {
        return Ok(routing::queue_text(position, expected_wait));
    }
    let minutes = expected_wait.map(|s| ((s + 59) / 60).max(1).to_string());
    Ok(render(
        &template,
        &[
            ("position", &position.to_string()),
            ("minutes", minutes.as_deref().unwrap_or_default()),
        ],
    ))
}
