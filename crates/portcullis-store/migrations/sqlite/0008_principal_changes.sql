-- PostgreSQL's 0008 announces changes to principals so that every node's token-lookup cache
-- forgets them. SQLite is always one node, whose services forget what they change, so there is
-- nothing to do; this keeps the two backends' migration versions aligned.
SELECT 1;
