DROP TABLE widget_notices;
DROP TABLE widget_visitors;
DROP TABLE widgets;
