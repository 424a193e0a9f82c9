-- ID-token signing keys, shared by every node. The private key (PKCS#8 DER) is sealed with
-- ChaCha20-Poly1305 under the server's signing_key_secret, with a random nonce per key.
CREATE TABLE signing_keys (
    -- The JWK's kid.
    id                  TEXT PRIMARY KEY,
    -- RS256 or EdDSA.
    algorithm           TEXT NOT NULL,
    -- A JSON object: the public JWK's key parameters (n and e, or x).
    public_jwk          TEXT NOT NULL,
    private_key_nonce   BYTEA NOT NULL,
    private_key_sealed  BYTEA NOT NULL,
    created_at          BIGINT NOT NULL,
    -- Set by a rotation: the key stops signing, and leaves the JWKS at expires_at.
    retired_at          BIGINT,
    expires_at          BIGINT
);

-- One active key per algorithm, however many nodes start at once.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (algorithm) WHERE retired_at IS NULL;
