//! Table definitions shared by both backends (written by hand: one schema for SQLite and
//! PostgreSQL, using only the SQL types a `MultiConnection` can carry).

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        key_hash -> Text,
        signing_secret -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    teams (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        outside_quiet_seconds -> Nullable<BigInt>,
    }
}

diesel::table! {
    reviewers (id) {
        id -> Text,
        name -> Text,
        display_name -> Text,
        password_hash -> Text,
        is_admin -> Bool,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    team_members (team_id, reviewer_id) {
        team_id -> Text,
        reviewer_id -> Text,
    }
}

diesel::table! {
    reviewer_tokens (token_hash) {
        token_hash -> Text,
        reviewer_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        channel -> Nullable<Text>,
        channel_ref -> Text,
        user_id -> Nullable<Text>,
        status -> Text,
        assigned_to -> Nullable<Text>,
        open_takeover_id -> Nullable<Text>,
        next_seq -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_user_message_at -> Nullable<Timestamp>,
        customer_turns -> BigInt,
        outside_by -> Nullable<Text>,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        session_id -> Text,
        seq -> BigInt,
        sender -> Text,
        content -> Text,
        external_id -> Nullable<Text>,
        tool_calls -> Nullable<Text>,
        meta -> Nullable<Text>,
        at -> Timestamp,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    takeovers (id) {
        id -> Text,
        session_id -> Text,
        mode -> Text,
        status -> Text,
        outcome -> Nullable<Text>,
        reason -> Text,
        summary -> Nullable<Text>,
        priority -> Integer,
        context -> Nullable<Text>,
        assignee -> Nullable<Text>,
        assignee_team_id -> Nullable<Text>,
        assignee_reviewer_id -> Nullable<Text>,
        timeout_seconds -> BigInt,
        expires_at -> Timestamp,
        reply_webhook -> Text,
        handback_signal -> Nullable<Text>,
        proposal -> Nullable<Text>,
        decisions -> Nullable<Text>,
        api_key_id -> Text,
        idempotency_key -> Nullable<Text>,
        request_hash -> Nullable<Text>,
        claimed_by -> Nullable<Text>,
        claimed_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        handback_summary -> Nullable<Text>,
        escalation_step -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        escalation_policy_id -> Nullable<Text>,
        default_decision -> Nullable<Text>,
        decision_payload -> Nullable<Text>,
        locale -> Nullable<Text>,
    }
}

diesel::table! {
    notes (id) {
        id -> Text,
        session_id -> Text,
        takeover_id -> Nullable<Text>,
        author -> Text,
        content -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        api_key_id -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
        previous_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        scope -> Text,
        channels -> Nullable<Text>,
    }
}

diesel::table! {
    deliveries (position) {
        position -> BigInt,
        id -> Text,
        lane -> Text,
        session_id -> Nullable<Text>,
        takeover_id -> Nullable<Text>,
        event_type -> Text,
        api_key_id -> Nullable<Text>,
        webhook_id -> Nullable<Text>,
        message_id -> Nullable<Text>,
        url -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        channel_id -> Nullable<Text>,
    }
}

diesel::table! {
    escalation_policies (id) {
        id -> Text,
        name -> Text,
        team_id -> Nullable<Text>,
        steps -> Text,
        fallback_message -> Text,
        fallback_action -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    team_channels (id) {
        id -> Text,
        team_id -> Text,
        kind -> Text,
        url -> Text,
        chat_id -> Nullable<Text>,
        secret -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    delivery_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        attempted_at -> Timestamp,
        url -> Text,
        status_code -> Nullable<Integer>,
        latency_ms -> BigInt,
        error -> Nullable<Text>,
        response_excerpt -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        session_id -> Nullable<Text>,
        takeover_id -> Nullable<Text>,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    signal_rules (version) {
        version -> BigInt,
        rules -> Text,
        actor -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    team_routing (team_id) {
        team_id -> Text,
        policy -> Text,
        offer_seconds -> BigInt,
        business_hours -> Nullable<Text>,
        last_assigned -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reviewer_presence (reviewer_id) {
        reviewer_id -> Text,
        availability -> Text,
        capacity -> Nullable<Integer>,
        last_seen_at -> Nullable<Timestamp>,
        last_assigned_at -> Nullable<Timestamp>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    takeover_offers (takeover_id) {
        takeover_id -> Text,
        team_id -> Text,
        reviewer_name -> Text,
        offered_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    queue_watches (takeover_id) {
        takeover_id -> Text,
        last_position -> Nullable<BigInt>,
        last_sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    queue_counts (id) {
        id -> BigInt,
        team_id -> Text,
        reviewer_id -> Text,
        status -> Text,
        delta -> BigInt,
    }
}

diesel::table! {
    customer_texts (team, locale, key) {
        team -> Text,
        locale -> Text,
        key -> Text,
        template -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    widgets (id) {
        id -> Text,
        public_key -> Text,
        name -> Text,
        team -> Nullable<Text>,
        allowed_origins -> Text,
        title -> Text,
        welcome -> Nullable<Text>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    widget_visitors (session_id) {
        session_id -> Text,
        token_digest -> Text,
        widget_id -> Text,
        created_at -> Timestamp,
        locale -> Nullable<Text>,
    }
}

diesel::table! {
    widget_notices (session_id, seq) {
        session_id -> Text,
        seq -> BigInt,
        kind -> Text,
        text -> Text,
        author -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(team_members -> teams (team_id));
diesel::joinable!(team_members -> reviewers (reviewer_id));
diesel::joinable!(messages -> sessions (session_id));
diesel::joinable!(reviewer_tokens -> reviewers (reviewer_id));
diesel::joinable!(takeovers -> sessions (session_id));
diesel::joinable!(team_routing -> teams (team_id));
diesel::joinable!(reviewer_presence -> reviewers (reviewer_id));
diesel::joinable!(takeover_offers -> takeovers (takeover_id));
diesel::joinable!(queue_watches -> takeovers (takeover_id));
diesel::table! {
    canned_responses (id) {
        id -> Text,
        team_id -> Nullable<Text>,
        owner_id -> Nullable<Text>,
        shortcut -> Text,
        title -> Text,
        content -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(widget_visitors -> widgets (widget_id));

diesel::table! {
    session_reads (session_id, reviewer_id) {
        session_id -> Text,
        reviewer_id -> Text,
        read_seq -> BigInt,
        read_at -> Timestamp,
        read_customer_turns -> BigInt,
    }
}

diesel::table! {
    session_customers (session_id) {
        session_id -> Text,
        attributes -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    whatsapp_templates (id) {
        id -> Text,
        team_id -> Text,
        name -> Text,
        language -> Text,
        category -> Text,
        header_format -> Nullable<Text>,
        header_text -> Nullable<Text>,
        body -> Text,
        footer -> Nullable<Text>,
        buttons -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(whatsapp_templates -> teams (team_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    teams,
    reviewers,
    team_members,
    reviewer_tokens,
    sessions,
    messages,
    takeovers,
    notes,
    webhooks,
    deliveries,
    delivery_attempts,
    audit_events,
    escalation_policies,
    team_channels,
    signal_rules,
    team_routing,
    reviewer_presence,
    takeover_offers,
    queue_watches,
    widgets,
    widget_visitors,
    widget_notices,
    customer_texts,
    session_reads,
    session_customers,
    canned_responses,
    whatsapp_templates,
    reviewer_alerts,
    alert_marks,
);

diesel::table! {
    backfills (name) {
        name -> Text,
        after_key -> Text,
        after_rowid -> BigInt,
        until_rowid -> BigInt,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    live_events (id) {
        id -> BigInt,
        session_id -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reviewer_alerts (reviewer_id) {
        reviewer_id -> Text,
        email -> Nullable<Text>,
        enabled -> Bool,
        quiet_start -> Nullable<Text>,
        quiet_end -> Nullable<Text>,
        quiet_timezone -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    alert_marks (mark) {
        mark -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(reviewer_alerts -> reviewers (reviewer_id));
