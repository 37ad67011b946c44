-- IAM identity providers that identity pools name by ARN (OpenIdConnectProviderARNs,
-- SamlProviderARNs), kept per account: IAM is global, so they have no region. The ARN holds the
-- account id and the provider's URL without its scheme (OIDC) or its name (SAML). Lists and tags
-- are JSON arrays (tags as [key, value] pairs), which keep their order.
CREATE TABLE iam_oidc_providers (
    arn TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    client_ids TEXT NOT NULL,
    thumbprints TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at REAL NOT NULL
);

CREATE INDEX iam_oidc_providers_by_account ON iam_oidc_providers (account_id);

CREATE TABLE iam_saml_providers (
    arn TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    metadata_document TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at REAL NOT NULL,
    valid_until REAL
);

-- IAM names are unique in an account whatever their case.
CREATE UNIQUE INDEX iam_saml_providers_by_name ON iam_saml_providers (account_id, lower(name));
