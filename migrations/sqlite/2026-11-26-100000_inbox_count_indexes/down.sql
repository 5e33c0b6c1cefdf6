DROP INDEX takeovers_resolved;
DROP INDEX takeovers_visibility;
