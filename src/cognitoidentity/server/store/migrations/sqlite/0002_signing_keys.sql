-- Keys that sign our OpenID tokens, shared by every server process. At most one key is current
-- (retired_at IS NULL, enforced by the unique partial index); a retired key stays published until
-- delete_after, when its last token has expired. Private keys are sealed with the master key.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    private_key_ciphertext BLOB NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at REAL NOT NULL,
    retired_at REAL,
    delete_after REAL
);

CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys ((retired_at IS NULL))
    WHERE retired_at IS NULL;
