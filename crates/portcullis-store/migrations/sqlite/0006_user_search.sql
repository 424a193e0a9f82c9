-- Substring search over username, email and names: an FTS5 table with the trigram tokenizer
-- over one lowered text per user (rowid = users.id), kept in step by triggers. It serves
-- LIKE '%term%' for terms of three characters or more.
CREATE VIRTUAL TABLE users_search USING fts5(search_text, tokenize = 'trigram');
INSERT INTO users_search (rowid, search_text) SELECT id, lower(coalesce(username, '') || ' ' || email || ' ' || coalesce(first_name, '') || ' ' || coalesce(last_name, '')) FROM users;
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, search_text) VALUES (new.id, lower(coalesce(new.username, '') || ' ' || new.email || ' ' || coalesce(new.first_name, '') || ' ' || coalesce(new.last_name, '')));
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF username, email, first_name, last_name ON users BEGIN
    UPDATE users_search SET search_text = lower(coalesce(new.username, '') || ' ' || new.email || ' ' || coalesce(new.first_name, '') || ' ' || coalesce(new.last_name, '')) WHERE rowid = new.id;
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM users_search WHERE rowid = old.id;
END;
CREATE INDEX users_tenant_id ON users (tenant_id, id);
