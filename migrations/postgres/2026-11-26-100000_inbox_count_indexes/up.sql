-- The queue's counts (GET /v1/inbox, /inbox) are answered from these indexes alone: open
-- takeovers by status and assignee, and the last day's handbacks (a reviewer's held takeovers use
-- takeovers_claimed_by from the routing migration).
CREATE INDEX takeovers_visibility ON takeovers(status, assignee_team_id, assignee_reviewer_id);
CREATE INDEX takeovers_resolved ON takeovers(status, outcome, resolved_at);
