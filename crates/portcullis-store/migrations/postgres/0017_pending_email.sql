-- An email-verification token can carry the address it confirms: a changed address waits
-- here, and the account keeps its old one, until the new one is confirmed.
ALTER TABLE one_time_tokens ADD COLUMN email TEXT;
