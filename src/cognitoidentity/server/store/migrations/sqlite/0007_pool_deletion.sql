-- DeleteIdentityPool marks the pool (deleted_at) and answers at once; the pool deleter
-- (server/pool_deleter.py) then deletes its identities, with their logins, a bounded batch per
-- transaction, and the pool's row last. Every read of pools and identities skips a marked pool,
-- so it is gone at once for every operation, and the mark survives a restart (the deleter resumes).
-- The row keeps its pool_id (unique) until its last identity is gone: a pool created again with
-- the same id (a configuration file's fixed id) waits for that, and never sees the old identities.
ALTER TABLE identity_pools ADD COLUMN deleted_at REAL;

-- The marked pools: few, and usually none, so checking that an identity's pool is not one of them
-- is a probe of an empty index.
CREATE INDEX identity_pools_deleted ON identity_pools (pool_id) WHERE deleted_at IS NOT NULL;
