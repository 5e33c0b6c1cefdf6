DROP INDEX takeovers_team_claims;
DROP INDEX takeovers_claimed_by;
DROP TABLE queue_watches;
DROP TABLE takeover_offers;
DROP TABLE reviewer_presence;
DROP TABLE team_routing;
