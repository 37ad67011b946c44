-- IAM roles and customer managed policies, per account (IAM is global: no region). Names are
-- unique in an account whatever their case (IAM names are ASCII). seq orders
-- listings (keyset pagination). Tags, inline policies and policy versions are JSON arrays, which
-- keep their order: tags as [key, value], inline policies as [name, document], versions as
-- [version id, document, created at (epoch seconds)].
CREATE TABLE iam_policies (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    description TEXT,
    tags JSONB NOT NULL,
    versions JSONB NOT NULL,
    default_version TEXT NOT NULL,
    next_version INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX iam_policies_by_name ON iam_policies (account_id, lower(name));

CREATE INDEX iam_policies_by_account ON iam_policies (account_id, seq);

CREATE TABLE iam_roles (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    role_id TEXT NOT NULL UNIQUE,
    trust_policy TEXT NOT NULL,
    description TEXT,
    max_session_duration INTEGER NOT NULL,
    max_signin_session_duration INTEGER,
    permissions_boundary TEXT,
    tags JSONB NOT NULL,
    inline_policies JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX iam_roles_by_name ON iam_roles (account_id, lower(name));

CREATE INDEX iam_roles_by_account ON iam_roles (account_id, seq);

CREATE INDEX iam_roles_by_boundary ON iam_roles (permissions_boundary)
    WHERE permissions_boundary IS NOT NULL;

-- Managed policies attached to roles, in the order they were attached. The policy's foreign key
-- (no action) makes a dangling attachment impossible: a policy is deleted only once detached.
-- Deleting an account deletes its roles, and with them their attachments, in the same
-- transaction; the key is checked at its commit (deferred), once every cascade has run.
CREATE TABLE iam_role_policies (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    role_arn TEXT NOT NULL REFERENCES iam_roles (arn) ON DELETE CASCADE,
    policy_arn TEXT NOT NULL REFERENCES iam_policies (arn) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (role_arn, policy_arn)
);

CREATE INDEX iam_role_policies_by_policy ON iam_role_policies (policy_arn);
