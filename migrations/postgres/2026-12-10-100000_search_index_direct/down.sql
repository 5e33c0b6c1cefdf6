ALTER INDEX messages_search_recent RESET (fastupdate);
