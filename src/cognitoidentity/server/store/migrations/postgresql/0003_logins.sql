-- Logins linked to identities: a provider and that provider's user identifier, unique in a pool.
-- seq orders an identity's logins and pages LookupDeveloperIdentity (keyset pagination). Deleting
-- an identity or its pool deletes its logins, so a login can be used again.
CREATE TABLE logins (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pool_id TEXT NOT NULL REFERENCES identity_pools (pool_id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    user_id TEXT NOT NULL,
    identity_id TEXT NOT NULL REFERENCES identities (identity_id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT logins_unique UNIQUE (pool_id, provider, user_id)
);

CREATE INDEX logins_by_identity ON logins (identity_id, seq);

CREATE INDEX logins_by_provider ON logins (pool_id, provider, seq);
