// The identity-pool credential provider of the AWS SDK for JavaScript v3, as an app uses it:
// `fromCognitoIdentityPool` (@aws-sdk/credential-providers) gives an STS client its credentials,
// and the client calls GetCallerIdentity with them. No AWS keys anywhere: the provider's GetId and
// GetCredentialsForIdentity are public operations, and the STS call signs with what they returned.
//
// Usage: node credential_provider.mjs
//
// Environment: AWS_REGION, COGNITO_E2E_ENDPOINT (the server, given to both clients as `endpoint`,
// to the provider through `clientConfig`), COGNITO_E2E_CASES: a JSON list of
// {"name", "identityPoolId", "logins"?: {provider: token}, "loginsAsFunctions"?: bool} (each login
// then given as an async function returning the token, the SDK's other documented form).
//
// Prints ONE JSON document on stdout: per case, the credentials the client resolved, the answers
// of two GetCallerIdentity calls made with one client, the requests that client sent (URL, whether
// signed, the access key of the signature), or the error the call raised (a Cognito error as
// thrown by the provider). Any other failure exits non-zero with the error on stderr.

import { fromCognitoIdentityPool } from "@aws-sdk/credential-providers";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { readFileSync } from "node:fs";

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} is required`);
  }
  return value;
}

const region = required("AWS_REGION");
const endpoint = required("COGNITO_E2E_ENDPOINT");
const cases = JSON.parse(required("COGNITO_E2E_CASES"));

/** Record every request the STS client sends, after signing: where, and signed with which key. */
function recordRequests(client, requests) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request;
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]),
      );
      const authorization = headers.authorization ?? "";
      const port = request.port ? `:${request.port}` : "";
      const entry = {
        operation: context.commandName,
        url: `${request.protocol}//${request.hostname}${port}${request.path}`,
        signed: authorization !== "",
        accessKeyId: /Credential=([^/]+)\//.exec(authorization)?.[1] ?? null,
        sessionToken: headers["x-amz-security-token"] ?? null,
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

function withFunctions(logins) {
  return Object.fromEntries(
    Object.entries(logins).map(([provider, token]) => [provider, async () => token]),
  );
}

async function run(testCase) {
  const requests = [];
  let logins = testCase.logins;
  if (logins && testCase.loginsAsFunctions) {
    logins = withFunctions(logins);
  }
  // As the SDK's documentation writes it, with the endpoint of a self-hosted server added.
  const credentials = fromCognitoIdentityPool({
    identityPoolId: testCase.identityPoolId,
    ...(logins ? { logins } : {}),
    clientConfig: { region, endpoint, maxAttempts: 1 },
  });
  const sts = recordRequests(
    new STSClient({ region, endpoint, credentials, maxAttempts: 1 }),
    requests,
  );
  try {
    const callers = [];
    for (let i = 0; i < 2; i += 1) {
      const { $metadata, ...output } = await sts.send(new GetCallerIdentityCommand({}));
      callers.push({ httpStatusCode: $metadata.httpStatusCode, output });
    }
    // The identity the client signs with: resolved once, kept until near its expiration.
    const resolved = await sts.config.credentials();
    return {
      ok: true,
      callers,
      credentials: {
        identityId: resolved.identityId ?? null,
        accessKeyId: resolved.accessKeyId,
        hasSecret: typeof resolved.secretAccessKey === "string" && resolved.secretAccessKey !== "",
        sessionToken: resolved.sessionToken ?? null,
        expiration: resolved.expiration instanceof Date ? resolved.expiration.toISOString() : null,
      },
      requests,
    };
  } catch (err) {
    if (!err || typeof err.name !== "string" || !err.$metadata) {
      throw err;
    }
    return {
      ok: false,
      error: {
        name: err.name,
        message: err.message,
        fault: err.$fault ?? null,
        httpStatusCode: err.$metadata?.httpStatusCode ?? null,
      },
      requests,
    };
  }
}

async function main() {
  const results = {};
  for (const testCase of cases) {
    results[testCase.name] = await run(testCase);
  }
  const version = (name) =>
    JSON.parse(
      readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), "utf8"),
    ).version;
  const document = {
    node: process.version,
    sdkVersion: version("@aws-sdk/credential-providers"),
    region,
    endpoint,
    results,
  };
  process.stdout.write(`${JSON.stringify(document)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
