DROP TABLE live_events;
DELETE FROM sqlite_sequence WHERE name = 'live_events';
