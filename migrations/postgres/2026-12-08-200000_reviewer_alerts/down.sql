DROP TABLE alert_marks;
DROP TABLE reviewer_alerts;
