ALTER TABLE widget_visitors DROP COLUMN locale;
ALTER TABLE takeovers DROP COLUMN locale;
DROP TABLE customer_texts;
