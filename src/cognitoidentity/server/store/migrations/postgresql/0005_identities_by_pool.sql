-- ListIdentities pages one pool in seq order. While seq alone was the primary key, the planner
-- could walk that key and filter on the pool: it prices a walk in seq order as sequential reads
-- and assumes a pool's identities are spread evenly, so on interleaved pools it read every other
-- pool's rows between two of this pool's (a first page of a big pool 3-4x a small pool's, linear
-- in the rows crossed). With (pool_id, seq) as the primary key no index orders identities by seq
-- alone, so a page is always a range of this one; seq stays unique as an identity column.
ALTER TABLE identities DROP CONSTRAINT identities_pkey;
DROP INDEX identities_by_pool;
ALTER TABLE identities ADD CONSTRAINT identities_by_pool PRIMARY KEY (pool_id, seq);
