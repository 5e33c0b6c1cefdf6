DROP INDEX takeovers_resolved;
DROP INDEX takeovers_claimed_by;
DROP INDEX takeovers_visibility;
