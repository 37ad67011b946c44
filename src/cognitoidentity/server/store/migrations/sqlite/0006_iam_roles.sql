-- IAM roles and customer managed policies, per account (IAM is global: no region). Names are
-- unique in an account whatever their case (IAM names are ASCII, which lower() folds). seq orders
-- listings (keyset pagination). Tags, inline policies and policy versions are JSON arrays, which
-- keep their order: tags as [key, value], inline policies as [name, document], versions as
-- [version id, document, created at (epoch seconds)].
CREATE TABLE iam_policies (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    description TEXT,
    tags TEXT NOT NULL,
    versions TEXT NOT NULL,
    default_version TEXT NOT NULL,
    next_version INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);

CREATE UNIQUE INDEX iam_policies_by_name ON iam_policies (account_id, lower(name));

CREATE INDEX iam_policies_by_account ON iam_policies (account_id, seq);

CREATE TABLE iam_roles (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
    tags TEXT NOT NULL,
    inline_policies TEXT NOT NULL,
    created_at REAL NOT NULL
);

CREATE UNIQUE INDEX iam_roles_by_name ON iam_roles (account_id, lower(name));

CREATE INDEX iam_roles_by_account ON iam_roles (account_id, seq);

CREATE INDEX iam_roles_by_boundary ON iam_roles (permissions_boundary)
    WHERE permissions_boundary IS NOT NULL;

-- Managed policies attached to roles, in the order they were attached. The policy's foreign key
-- (no action) makes a dangling attachment impossible: a policy is deleted only once detached.
-- Deleting an account deletes its roles, and with them their attachments, in the same statement.
CREATE TABLE iam_role_policies (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    role_arn TEXT NOT NULL REFERENCES iam_roles (arn) ON DELETE CASCADE,
    policy_arn TEXT NOT NULL REFERENCES iam_policies (arn),
    UNIQUE (role_arn, policy_arn)
);

CREATE INDEX iam_role_policies_by_policy ON iam_role_policies (policy_arn);
