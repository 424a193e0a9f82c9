-- SQLite is always one node: the process that creates a tenant forgets what it remembered
-- itself. Kept so that both backends number their migrations alike.
SELECT 1;
