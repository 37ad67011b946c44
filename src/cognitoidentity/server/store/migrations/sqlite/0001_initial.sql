-- Accounts own access keys and identity pools; identities live in a pool.
CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at REAL NOT NULL
);

CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    secret_ciphertext BLOB NOT NULL,
    created_at REAL NOT NULL
);

CREATE INDEX access_keys_by_account ON access_keys (account_id);

-- seq orders listings (keyset pagination); the pool's configuration is one JSON document.
CREATE TABLE identity_pools (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    pool_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    region TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at REAL NOT NULL
);

CREATE INDEX identity_pools_by_account ON identity_pools (account_id, region, seq);

CREATE TABLE identities (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    identity_id TEXT NOT NULL UNIQUE,
    pool_id TEXT NOT NULL REFERENCES identity_pools (pool_id) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    last_modified_at REAL NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX identities_by_pool ON identities (pool_id, seq);
