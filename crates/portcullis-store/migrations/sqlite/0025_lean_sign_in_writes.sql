-- Every code flow writes a grant and an access token; each index on them is one more page
-- written per sign-in. These two are the leading columns of another index, which answers
-- their lookups as well: (user_id, application_id) and (user_id, kind).
DROP INDEX oauth_grants_user;
DROP INDEX tokens_user;
