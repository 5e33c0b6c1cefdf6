DROP TABLE signal_rules;
