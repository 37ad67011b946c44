// The core identity-pool scenario with the AWS SDK for JavaScript v3, as a user would write it.
//
// Usage: node scenario.mjs <core|errors|unsigned|pagination|userpool>
//
// Configuration comes from the standard environment variables only, resolved by the SDK itself:
// AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_ENDPOINT_URL_COGNITO_IDENTITY (the
// service-specific endpoint). COGNITO_E2E_ACCOUNT_ID names the account, to build resource ARNs.
//
// Prints ONE JSON document on stdout. Service errors are results (name, message, status...); any
// other failure (network, a bug in this script) exits non-zero with the error on stderr. Every HTTP
// request the SDK sends is recorded (URL, target, whether it carries an Authorization header).

import {
  CognitoIdentityClient,
  CognitoIdentityServiceException,
  CreateIdentityPoolCommand,
  DeleteIdentitiesCommand,
  DeleteIdentityPoolCommand,
  DescribeIdentityCommand,
  DescribeIdentityPoolCommand,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  GetOpenIdTokenCommand,
  ListIdentitiesCommand,
  ListIdentityPoolsCommand,
  ListTagsForResourceCommand,
  NotAuthorizedException,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateIdentityPoolCommand,
  paginateListIdentityPools,
} from "@aws-sdk/client-cognito-identity";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";

const MODELED = { ResourceNotFoundException, NotAuthorizedException };

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is required`);
  }
  return value;
}

const region = required("AWS_REGION");
const endpoint = required("AWS_ENDPOINT_URL_COGNITO_IDENTITY");
const accountId = required("COGNITO_E2E_ACCOUNT_ID");
required("AWS_ACCESS_KEY_ID");
required("AWS_SECRET_ACCESS_KEY");

const requests = [];

/** Record every request on the wire, after signing, with the status it got. */
function recordRequests(client, label) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request;
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]),
      );
      const port = request.port ? `:${request.port}` : "";
      const entry = {
        client: label,
        operation: context.commandName,
        url: `${request.protocol}//${request.hostname}${port}${request.path}`,
        target: headers["x-amz-target"] ?? null,
        signed: "authorization" in headers,
        status: null,
      };
      requests.push(entry);
      const result = await next(args);
      entry.status = result.response?.statusCode ?? null;
      return result;
    },
    { step: "deserialize", priority: "low", name: "e2eRecordRequests" },
  );
  return client;
}

/** JSON-safe copy: a Date becomes {"$date": ISO string} so the caller can see it was a Date. */
function plain(value) {
  if (value instanceof Date) {
    return { $date: value.toISOString() };
  }
  if (Array.isArray(value)) {
    return value.map(plain);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** Send a command; a service error is a result, anything else propagates. */
async function call(client, command) {
  try {
    const { $metadata, ...output } = await client.send(command);
    return {
      ok: true,
      httpStatusCode: $metadata.httpStatusCode,
      requestId: $metadata.requestId ?? null,
      output: plain(output),
    };
  } catch (err) {
    if (!(err instanceof CognitoIdentityServiceException)) {
      throw err;
    }
    const modeled = MODELED[err.name];
    return {
      ok: false,
      error: {
        name: err.name,
        message: err.message,
        fault: err.$fault,
        httpStatusCode: err.$metadata?.httpStatusCode ?? null,
        requestId: err.$metadata?.requestId ?? null,
        className: err.constructor.name,
        instanceOfModeledClass: modeled ? err instanceof modeled : null,
      },
    };
  }
}

function signedClient(label = "signed") {
  // Region, credentials and endpoint all come from the environment, resolved by the SDK.
  return recordRequests(new CognitoIdentityClient({ maxAttempts: 1 }), label);
}

function anonymousClient() {
  // A client that cannot sign: resolving its credentials fails loudly. GetId is modelled with
  // `smithy.api#noAuth`, so the SDK must never ask for them.
  return recordRequests(
    new CognitoIdentityClient({
      maxAttempts: 1,
      credentials: async () => {
        throw new Error("this client has no credentials and must not sign");
      },
    }),
    "anonymous",
  );
}

function poolArn(poolId) {
  return `arn:aws:cognito-identity:${region}:${accountId}:identitypool/${poolId}`;
}

function missingPoolId() {
  return `${region}:${randomUUID()}`;
}

/** The whole scenario with one signed client; one result per step. */
async function core() {
  const client = signedClient();
  const steps = {};
  const created = await call(
    client,
    new CreateIdentityPoolCommand({
      IdentityPoolName: "e2e js pool",
      AllowUnauthenticatedIdentities: true,
      IdentityPoolTags: { team: "blue", env: "test" },
    }),
  );
  steps.createIdentityPool = created;
  if (!created.ok) {
    return steps;
  }
  const poolId = created.output.IdentityPoolId;
  const arn = poolArn(poolId);

  steps.getId1 = await call(client, new GetIdCommand({ IdentityPoolId: poolId }));
  steps.getId2 = await call(
    client,
    new GetIdCommand({ IdentityPoolId: poolId, AccountId: accountId }),
  );
  steps.listIdentities = await call(
    client,
    new ListIdentitiesCommand({ IdentityPoolId: poolId, MaxResults: 60 }),
  );
  steps.describeIdentity = await call(
    client,
    new DescribeIdentityCommand({ IdentityId: steps.getId1.output?.IdentityId }),
  );
  steps.describeIdentityPool = await call(
    client,
    new DescribeIdentityPoolCommand({ IdentityPoolId: poolId }),
  );
  steps.listIdentityPools = await call(client, new ListIdentityPoolsCommand({ MaxResults: 60 }));
  steps.updateIdentityPool = await call(
    client,
    new UpdateIdentityPoolCommand({
      IdentityPoolId: poolId,
      IdentityPoolName: "e2e js pool renamed",
      AllowUnauthenticatedIdentities: false,
    }),
  );
  steps.describeAfterUpdate = await call(
    client,
    new DescribeIdentityPoolCommand({ IdentityPoolId: poolId }),
  );
  steps.listPoolsAfterUpdate = await call(client, new ListIdentityPoolsCommand({ MaxResults: 60 }));
  steps.tagResource = await call(
    client,
    new TagResourceCommand({ ResourceArn: arn, Tags: { owner: "js", team: "red" } }),
  );
  steps.tagsAfterTag = await call(client, new ListTagsForResourceCommand({ ResourceArn: arn }));
  steps.untagResource = await call(
    client,
    new UntagResourceCommand({ ResourceArn: arn, TagKeys: ["env", "absent"] }),
  );
  steps.tagsAfterUntag = await call(client, new ListTagsForResourceCommand({ ResourceArn: arn }));
  steps.deleteIdentities = await call(
    client,
    new DeleteIdentitiesCommand({ IdentityIdsToDelete: [steps.getId1.output?.IdentityId] }),
  );
  steps.listAfterDeleteIdentities = await call(
    client,
    new ListIdentitiesCommand({ IdentityPoolId: poolId, MaxResults: 60 }),
  );
  steps.deleteIdentityPool = await call(
    client,
    new DeleteIdentityPoolCommand({ IdentityPoolId: poolId }),
  );
  steps.listPoolsAfterDelete = await call(client, new ListIdentityPoolsCommand({ MaxResults: 60 }));
  steps.describeDeletedPool = await call(
    client,
    new DescribeIdentityPoolCommand({ IdentityPoolId: poolId }),
  );
  return steps;
}

/** The failing calls a user meets first. */
async function errors() {
  const client = signedClient();
  const steps = {};
  steps.missingPoolId = missingPoolId();
  steps.describeMissingPool = await call(
    client,
    new DescribeIdentityPoolCommand({ IdentityPoolId: steps.missingPoolId }),
  );
  const closed = await call(
    client,
    new CreateIdentityPoolCommand({
      IdentityPoolName: "closed",
      AllowUnauthenticatedIdentities: false,
    }),
  );
  steps.createClosedPool = closed;
  if (closed.ok) {
    steps.getIdOnClosedPool = await call(
      client,
      new GetIdCommand({ IdentityPoolId: closed.output.IdentityPoolId }),
    );
    steps.listIdentitiesOnClosedPool = await call(
      client,
      new ListIdentitiesCommand({ IdentityPoolId: closed.output.IdentityPoolId, MaxResults: 60 }),
    );
  }
  const wrongSecret = recordRequests(
    new CognitoIdentityClient({
      maxAttempts: 1,
      credentials: {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID,
        secretAccessKey: `x${process.env.AWS_SECRET_ACCESS_KEY}`,
      },
    }),
    "wrong-secret",
  );
  steps.wrongSecret = await call(wrongSecret, new ListIdentityPoolsCommand({ MaxResults: 10 }));
  return steps;
}

/** GetId needs no signature: from a client without credentials, and from a plain fetch. */
async function unsigned() {
  const client = signedClient();
  const steps = {};
  const pool = await call(
    client,
    new CreateIdentityPoolCommand({
      IdentityPoolName: "public",
      AllowUnauthenticatedIdentities: true,
    }),
  );
  steps.createIdentityPool = pool;
  if (!pool.ok) {
    return steps;
  }
  const poolId = pool.output.IdentityPoolId;
  const anonymous = anonymousClient();
  steps.anonymousGetId = await call(anonymous, new GetIdCommand({ IdentityPoolId: poolId }));
  steps.anonymousGetIdMissingPool = await call(
    anonymous,
    new GetIdCommand({ IdentityPoolId: missingPoolId() }),
  );

  async function rawPost(target, body) {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityService.${target}`,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Reported as text below.
    }
    return {
      status: response.status,
      contentType: response.headers.get("content-type"),
      requestId: response.headers.get("x-amzn-requestid"),
      errorType: response.headers.get("x-amzn-errortype"),
      json,
      text: json === null ? text : null,
    };
  }
  steps.fetchGetId = await rawPost("GetId", { IdentityPoolId: poolId });
  steps.fetchListIdentityPools = await rawPost("ListIdentityPools", { MaxResults: 10 });

  steps.listIdentities = await call(
    client,
    new ListIdentitiesCommand({ IdentityPoolId: poolId, MaxResults: 60 }),
  );
  return steps;
}

/** Three pools and three identities, listed two at a time. */
async function pagination() {
  const client = signedClient();
  const steps = { createdPoolIds: [], identityIds: [] };
  for (const name of ["page 0", "page 1", "page 2"]) {
    const created = await call(
      client,
      new CreateIdentityPoolCommand({ IdentityPoolName: name, AllowUnauthenticatedIdentities: true }),
    );
    if (!created.ok) {
      steps.createFailed = created;
      return steps;
    }
    steps.createdPoolIds.push(created.output.IdentityPoolId);
  }
  const poolId = steps.createdPoolIds[0];
  for (let i = 0; i < 3; i += 1) {
    const { IdentityId } = await client.send(new GetIdCommand({ IdentityPoolId: poolId }));
    steps.identityIds.push(IdentityId);
  }

  // The SDK's own paginator follows NextToken until the service stops sending one.
  steps.poolPages = [];
  for await (const page of paginateListIdentityPools({ client, pageSize: 2 }, { MaxResults: 2 })) {
    steps.poolPages.push({
      IdentityPools: page.IdentityPools,
      hasNextToken: typeof page.NextToken === "string" && page.NextToken.length > 0,
    });
  }

  // ListIdentities has no paginator in the model: loop on NextToken by hand, as users do.
  steps.identityPages = [];
  let token;
  do {
    const page = await call(
      client,
      new ListIdentitiesCommand({ IdentityPoolId: poolId, MaxResults: 2, NextToken: token }),
    );
    steps.identityPages.push(page);
    token = page.ok ? page.output.NextToken : undefined;
  } while (token && steps.identityPages.length < 10);
  return steps;
}

// A browser or mobile app signed in to a user pool: the ID token is the login, no AWS keys.
// COGNITO_E2E_POOL_ID, COGNITO_E2E_PROVIDER (cognito-idp.<region>.amazonaws.com/<user pool id>)
// and COGNITO_E2E_ID_TOKEN say which pool and login.
async function userpool() {
  const client = anonymousClient();
  const logins = { [required("COGNITO_E2E_PROVIDER")]: required("COGNITO_E2E_ID_TOKEN") };
  const steps = {};
  steps.getId = await call(
    client,
    new GetIdCommand({ IdentityPoolId: required("COGNITO_E2E_POOL_ID"), Logins: logins }),
  );
  const identityId = steps.getId.output?.IdentityId;
  steps.credentials = await call(
    client,
    new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: logins }),
  );
  steps.token = await call(
    client,
    new GetOpenIdTokenCommand({ IdentityId: identityId, Logins: logins }),
  );
  steps.withoutLogins = await call(
    client,
    new GetCredentialsForIdentityCommand({ IdentityId: identityId }),
  );
  return steps;
}

// The conformance scenario of tests/conformance: all 23 Cognito Identity operations and the STS
// flows, the same requests as the boto3 and AWS CLI runs. CONFORMANCE_INPUT (JSON) carries the
// scenario's inputs (pool settings, tags, roles, a Google ID token...); AWS_ENDPOINT_URL_STS is the
// STS endpoint, resolved by the STS client itself. The app's public calls go through clients that
// cannot sign; the backend's through the signed client; GetCallerIdentity runs with each set of
// temporary credentials the flows hand out. Steps are named as in tests/conformance/scenario.py.
async function conformance() {
  const sts = await import("@aws-sdk/client-sts");
  const {
    GetIdentityPoolRolesCommand,
    GetOpenIdTokenForDeveloperIdentityCommand,
    GetPrincipalTagAttributeMapCommand,
    LookupDeveloperIdentityCommand,
    MergeDeveloperIdentitiesCommand,
    SetIdentityPoolRolesCommand,
    SetPrincipalTagAttributeMapCommand,
    UnlinkDeveloperIdentityCommand,
    UnlinkIdentityCommand,
  } = await import("@aws-sdk/client-cognito-identity");
  const input = JSON.parse(required("CONFORMANCE_INPUT"));
  required("AWS_ENDPOINT_URL_STS");
  const backend = signedClient("cognito-backend");
  const app = anonymousClient();
  const noCredentials = async () => {
    throw new Error("this client has no credentials and must not sign");
  };
  const stsApp = recordRequests(
    new sts.STSClient({ maxAttempts: 1, credentials: noCredentials }),
    "sts-anonymous",
  );
  const steps = {};

  async function callSts(client, command) {
    try {
      const { $metadata, ...output } = await client.send(command);
      return {
        ok: true,
        httpStatusCode: $metadata.httpStatusCode,
        requestId: $metadata.requestId ?? null,
        output: plain(output),
      };
    } catch (err) {
      if (!(err instanceof sts.STSServiceException)) {
        throw err;
      }
      return {
        ok: false,
        error: {
          name: err.name,
          message: err.message,
          fault: err.$fault,
          httpStatusCode: err.$metadata?.httpStatusCode ?? null,
          requestId: err.$metadata?.requestId ?? null,
          className: err.constructor.name,
          instanceOfModeledClass: null,
        },
      };
    }
  }

  async function caller(name, creds) {
    if (!creds) {
      return;
    }
    const client = recordRequests(
      new sts.STSClient({
        maxAttempts: 1,
        credentials: {
          accessKeyId: creds.AccessKeyId,
          secretAccessKey: creds.SecretKey ?? creds.SecretAccessKey,
          sessionToken: creds.SessionToken,
        },
      }),
      "sts-temporary",
    );
    steps[name] = await callSts(client, new sts.GetCallerIdentityCommand({}));
  }

  const created = await call(
    backend,
    new CreateIdentityPoolCommand({
      IdentityPoolName: input.poolName,
      IdentityPoolTags: input.poolTags,
      ...input.poolSettings,
    }),
  );
  steps.createIdentityPool = created;
  if (!created.ok) {
    return steps;
  }
  const poolId = created.output.IdentityPoolId;
  const arn = poolArn(poolId);
  steps.describeIdentityPool = await call(
    backend,
    new DescribeIdentityPoolCommand({ IdentityPoolId: poolId }),
  );
  steps.updateIdentityPool = await call(
    backend,
    new UpdateIdentityPoolCommand({
      IdentityPoolId: poolId,
      IdentityPoolName: input.renamed,
      ...input.poolSettings,
    }),
  );
  steps.listIdentityPools = await call(backend, new ListIdentityPoolsCommand({ MaxResults: 60 }));
  steps.tagResource = await call(
    backend,
    new TagResourceCommand({ ResourceArn: arn, Tags: input.tagsToAdd }),
  );
  steps.tagsAfterTag = await call(backend, new ListTagsForResourceCommand({ ResourceArn: arn }));
  steps.untagResource = await call(
    backend,
    new UntagResourceCommand({ ResourceArn: arn, TagKeys: input.tagKeysToRemove }),
  );
  steps.tagsAfterUntag = await call(backend, new ListTagsForResourceCommand({ ResourceArn: arn }));
  steps.setIdentityPoolRoles = await call(
    backend,
    new SetIdentityPoolRolesCommand({
      IdentityPoolId: poolId,
      Roles: input.roles,
      RoleMappings: input.roleMappings,
    }),
  );
  steps.getIdentityPoolRoles = await call(
    backend,
    new GetIdentityPoolRolesCommand({ IdentityPoolId: poolId }),
  );
  steps.setPrincipalTagAttributeMap = await call(
    backend,
    new SetPrincipalTagAttributeMapCommand({
      IdentityPoolId: poolId,
      IdentityProviderName: input.google,
      UseDefaults: false,
      PrincipalTags: input.principalTags,
    }),
  );
  steps.getPrincipalTagAttributeMap = await call(
    backend,
    new GetPrincipalTagAttributeMapCommand({
      IdentityPoolId: poolId,
      IdentityProviderName: input.google,
    }),
  );

  // The app: a guest, then Alice signed in with Google.
  steps.getIdGuest = await call(
    app,
    new GetIdCommand({ IdentityPoolId: poolId, AccountId: accountId }),
  );
  const guest = steps.getIdGuest.output?.IdentityId;
  steps.openIdTokenGuest = await call(app, new GetOpenIdTokenCommand({ IdentityId: guest }));
  steps.credentialsGuest = await call(
    app,
    new GetCredentialsForIdentityCommand({ IdentityId: guest }),
  );
  await caller("callerGuest", steps.credentialsGuest.output?.Credentials);
  const google = { [input.google]: input.googleToken };
  steps.getIdGoogle = await call(app, new GetIdCommand({ IdentityPoolId: poolId, Logins: google }));
  const alice = steps.getIdGoogle.output?.IdentityId;
  steps.openIdTokenGoogle = await call(
    app,
    new GetOpenIdTokenCommand({ IdentityId: alice, Logins: google }),
  );
  steps.assumeRoleWithWebIdentity = await callSts(
    stsApp,
    new sts.AssumeRoleWithWebIdentityCommand({
      RoleArn: input.authRole,
      RoleSessionName: input.sessionName,
      WebIdentityToken: steps.openIdTokenGoogle.output?.Token,
      DurationSeconds: input.basicFlowSeconds,
    }),
  );
  await caller("callerBasicFlow", steps.assumeRoleWithWebIdentity.output?.Credentials);
  steps.credentialsGoogle = await call(
    app,
    new GetCredentialsForIdentityCommand({ IdentityId: alice, Logins: google }),
  );
  await caller("callerGoogle", steps.credentialsGoogle.output?.Credentials);
  steps.credentialsWithoutLogins = await call(
    app,
    new GetCredentialsForIdentityCommand({ IdentityId: alice }),
  );

  // The backend: developer logins, linked to Alice's Google login and on their own.
  steps.developerTokenAlice = await call(
    backend,
    new GetOpenIdTokenForDeveloperIdentityCommand({
      IdentityPoolId: poolId,
      IdentityId: alice,
      Logins: { [input.developer]: "alice", ...google },
    }),
  );
  steps.describeAlice = await call(backend, new DescribeIdentityCommand({ IdentityId: alice }));
  steps.developerTokenBob = await call(
    backend,
    new GetOpenIdTokenForDeveloperIdentityCommand({
      IdentityPoolId: poolId,
      Logins: { [input.developer]: "bob" },
    }),
  );
  steps.bobRegisteredElsewhere = await call(
    backend,
    new GetOpenIdTokenForDeveloperIdentityCommand({
      IdentityPoolId: poolId,
      IdentityId: guest,
      Logins: { [input.developer]: "bob" },
    }),
  );
  steps.credentialsDeveloper = await call(
    app,
    new GetCredentialsForIdentityCommand({
      IdentityId: steps.developerTokenBob.output?.IdentityId,
      Logins: { [input.enhanced]: steps.developerTokenBob.output?.Token },
    }),
  );
  await caller("callerDeveloper", steps.credentialsDeveloper.output?.Credentials);
  steps.lookupByIdentity = await call(
    backend,
    new LookupDeveloperIdentityCommand({
      IdentityPoolId: poolId,
      IdentityId: alice,
      MaxResults: 10,
    }),
  );
  steps.mergeDeveloperIdentities = await call(
    backend,
    new MergeDeveloperIdentitiesCommand({
      SourceUserIdentifier: "bob",
      DestinationUserIdentifier: "alice",
      DeveloperProviderName: input.developer,
      IdentityPoolId: poolId,
    }),
  );
  steps.lookupByUser = await call(
    backend,
    new LookupDeveloperIdentityCommand({
      IdentityPoolId: poolId,
      DeveloperUserIdentifier: "bob",
      MaxResults: 10,
    }),
  );
  steps.unlinkDeveloperIdentity = await call(
    backend,
    new UnlinkDeveloperIdentityCommand({
      IdentityId: alice,
      IdentityPoolId: poolId,
      DeveloperProviderName: input.developer,
      DeveloperUserIdentifier: "bob",
    }),
  );
  steps.lookupAfterUnlink = await call(
    backend,
    new LookupDeveloperIdentityCommand({
      IdentityPoolId: poolId,
      IdentityId: alice,
      MaxResults: 10,
    }),
  );
  steps.unlinkIdentity = await call(
    app,
    new UnlinkIdentityCommand({
      IdentityId: alice,
      Logins: google,
      LoginsToRemove: [input.google],
    }),
  );
  steps.describeAfterUnlink = await call(
    backend,
    new DescribeIdentityCommand({ IdentityId: alice }),
  );
  steps.getIdGoogleAfterUnlink = await call(
    app,
    new GetIdCommand({ IdentityPoolId: poolId, Logins: google }),
  );

  // Clean-up, and the pool is gone.
  steps.listIdentities = await call(
    backend,
    new ListIdentitiesCommand({ IdentityPoolId: poolId, MaxResults: 60 }),
  );
  steps.deleteIdentities = await call(
    backend,
    new DeleteIdentitiesCommand({ IdentityIdsToDelete: [guest] }),
  );
  steps.listAfterDelete = await call(
    backend,
    new ListIdentitiesCommand({ IdentityPoolId: poolId, MaxResults: 60 }),
  );
  steps.deleteIdentityPool = await call(
    backend,
    new DeleteIdentityPoolCommand({ IdentityPoolId: poolId }),
  );
  steps.describeDeletedPool = await call(
    backend,
    new DescribeIdentityPoolCommand({ IdentityPoolId: poolId }),
  );
  steps.listPoolsAfterDelete = await call(
    backend,
    new ListIdentityPoolsCommand({ MaxResults: 60 }),
  );
  return steps;
}

const SCENARIOS = { core, errors, unsigned, pagination, userpool, conformance };

async function main() {
  const name = process.argv[2];
  const scenario = SCENARIOS[name];
  if (!scenario) {
    throw new Error(`usage: node scenario.mjs <${Object.keys(SCENARIOS).join("|")}>`);
  }
  const sdkPackage = new URL(
    "./node_modules/@aws-sdk/client-cognito-identity/package.json",
    import.meta.url,
  );
  const results = await scenario();
  const document = {
    scenario: name,
    node: process.version,
    sdkVersion: JSON.parse(readFileSync(sdkPackage, "utf8")).version,
    region,
    endpoint,
    results,
    requests,
  };
  process.stdout.write(`${JSON.stringify(document)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
