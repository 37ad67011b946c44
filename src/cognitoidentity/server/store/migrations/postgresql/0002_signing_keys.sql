-- Keys that sign our OpenID tokens, shared by every server process. At most one key is current
-- (retired_at IS NULL, enforced by the unique partial index); a retired key stays published until
-- delete_after, when its last token has expired. Private keys are sealed with the master key.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    private_key_ciphertext BYTEA NOT NULL,
    public_jwk JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    retired_at TIMESTAMPTZ,
    delete_after TIMESTAMPTZ
);

CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys ((retired_at IS NULL))
    WHERE retired_at IS NULL;
