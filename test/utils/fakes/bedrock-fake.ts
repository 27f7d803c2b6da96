import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** A long-term key pair the fake knows (AWS's documented example shapes, not real keys). */
export const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
/** A temporary key pair: valid only with {@link SESSION_TOKEN}. */
export const TEMP_ACCESS_KEY_ID = 'ASIAIOSFODNN7TEMPKEY';
export const TEMP_SECRET_ACCESS_KEY = 'tEmPsEcReT/K7MDENG/bPxRfiCYTEMPORARYKEY';
export const SESSION_TOKEN = 'FwoGZXIvYXdzEFakeSessionToken//////////wEaDFAKEtoken0123456789abcdef';
/** A Bedrock API key (sent as a bearer token). */
export const BEDROCK_API_KEY = 'ABSKQmVkcm9ja0FQSUtleS1mYWtlLWtleS0xMjM0NTY3ODkw';

/** One request the fake received, and what it made of it. */
export interface SeenRequest {
  method: string;
  /** The raw path as received (still percent-encoded). */
  path: string;
  /** The model id, decoded, or null when the path is not `/model/{id}/converse`. */
  modelId: string | null;
  headers: IncomingHttpHeaders;
  body: unknown;
  auth: 'sigv4' | 'bearer' | 'none';
  /** SigV4: the headers the client signed. */
  signedHeaders: string[];
  /** The signature (or API key) checked out. */
  verified: boolean;
  /** The AWS error type the fake answered with, if any. */
  errorType: string | null;
}

export interface BedrockFake {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export interface BedrockFakeOptions {
  /** The region the fake is (requests must be signed for it). Default us-east-1. */
  region?: string;
}

interface Credential {
  secret: string;
  /** A temporary key: the session token it must come with. */
  sessionToken?: string;
}

const KEYS: ReadonlyMap<string, Credential> = new Map([
  [ACCESS_KEY_ID, { secret: SECRET_ACCESS_KEY }],
  [TEMP_ACCESS_KEY_ID, { secret: TEMP_SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN }],
]);

/** The errors of the Converse API reference, by scenario: status, type, message. */
const ERRORS: Readonly<Record<string, { status: number; type: string; message: string; messageKey?: 'Message'; inBodyOnly?: true }>> = {
  throttle: { status: 429, type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' },
  'not-ready': { status: 429, type: 'ModelNotReadyException', message: 'Model is not ready to serve inference requests.' },
  unavailable: { status: 503, type: 'ServiceUnavailableException', message: 'Bedrock is unable to process your request.' },
  internal: { status: 500, type: 'InternalServerException', message: 'The server encountered an internal error.' },
  'model-timeout': { status: 408, type: 'ModelTimeoutException', message: 'Model has timed out in processing the request.' },
  'model-error': { status: 424, type: 'ModelErrorException', message: 'The model produced an invalid response.' },
  validation: {
    status: 400,
    type: 'ValidationException',
    message:
      'Invocation of model ID anthropic.claude-3-haiku-20240307-v1:0 with on-demand throughput isn\u2019t supported. ' +
      'Retry your request with the ID or ARN of an inference profile that contains this model.',
  },
  'access-denied': {
    status: 403,
    type: 'AccessDeniedException',
    message: "You don't have access to the model with the specified model ID.",
    messageKey: 'Message',
  },
  'not-found': { status: 404, type: 'ResourceNotFoundException', message: 'Could not resolve the foundation model.' },
  // Some AWS front ends name the type only in the body, as `__type`.
  'type-in-body': { status: 429, type: 'ThrottlingException', message: 'Rate exceeded', inBodyOnly: true },
};

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key ' +
  'and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

/**
 * A local Bedrock Runtime: `POST /model/{modelId}/converse` per the API reference, behind a real SigV4 check (the
 * signature is recomputed with the AWS SDK's signer from the method, raw path, signed headers and body received, and
 * the secret the fake knows) or a Bedrock API key. The scenario is `scenario:<name>` in the user text, else in the model
 * id; none is a success. Errors carry `x-amzn-ErrorType` as AWS sends it (`Type:http://internal.amazon.com/…`).
 */
export async function start(opts: BedrockFakeOptions = {}): Promise<BedrockFake> {
  const region = opts.region ?? 'us-east-1';
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, Buffer.concat(chunks).toString('utf8'), res, region, requests).catch((err: unknown) => {
        if (!res.headersSent) awsError(res, 500, 'InternalServerException', `fake failed: ${String(err)}`);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // A hanging scenario holds its socket open: drop them all.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(req: IncomingMessage, raw: string, res: ServerResponse, region: string, requests: SeenRequest[]): Promise<void> {
  const path = req.url ?? '/';
  const match = /^\/model\/([^/?]+)\/converse$/.exec(path);
  const body = parseJson(raw);
  const seen: SeenRequest = {
    method: req.method ?? '',
    path,
    modelId: match ? safeDecode(match[1]!) : null,
    headers: req.headers,
    body,
    auth: 'none',
    signedHeaders: [],
    verified: false,
    errorType: null,
  };
  requests.push(seen);
  const fail = (status: number, type: string, message: string) => {
    seen.errorType = type;
    awsError(res, status, type, message);
  };

  const denied = await authenticate(req, raw, region, seen);
  if (denied) return fail(403, denied.type, denied.message);
  if (req.method !== 'POST' || !match) return fail(404, 'UnknownOperationException', `no operation at ${req.method} ${path}`);
  if (seen.modelId === null) return fail(400, 'ValidationException', 'The model id is not valid URL encoding.');

  const user = userText(body);
  if (user === null) return fail(400, 'ValidationException', 'messages must hold one user message with a text block.');
  const maxTokens = (body as { inferenceConfig?: { maxTokens?: unknown } }).inferenceConfig?.maxTokens;
  if (maxTokens !== undefined && (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)) {
    return fail(400, 'ValidationException', 'inferenceConfig.maxTokens must be a positive integer.');
  }

  const scenario = /scenario:([\w-]+)/.exec(user)?.[1] ?? /scenario-([\w-]+)/.exec(seen.modelId)?.[1] ?? 'success';
  const error = ERRORS[scenario];
  if (error) {
    seen.errorType = error.type;
    if (error.inBodyOnly) {
      return json(res, error.status, { __type: `com.amazon.coral.service#${error.type}`, message: error.message });
    }
    return awsError(res, error.status, error.type, error.message, error.messageKey);
  }
  switch (scenario) {
    case 'hang':
      return; // never answers: the client's timeout ends it
    case 'invalid-json':
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() });
      return void res.end('{"output":{"message":{"role":"assistant","content":[{"text":"Par');
    case 'echo':
      // A careless upstream repeating what it was sent, and the secret it knows, in the body and a header.
      seen.errorType = 'ValidationException';
      res.writeHead(400, {
        'content-type': 'application/json',
        'x-amzn-ErrorType': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/',
        'x-amzn-requestid': `req-${headerOf(req, 'x-amz-security-token') ?? 'none'}`,
      });
      return void res.end(JSON.stringify({ message: echoed(req, seen) }));
    case 'echo-ok':
      return converse(
        res,
        { content: [{ text: echoed(req, seen) }], stopReason: 'end_turn' },
        `req-${headerOf(req, 'x-amz-security-token') ?? 'none'}`,
      );
    case 'max-tokens':
      return converse(res, { content: [{ text: 'Paris is the capital' }], stopReason: 'max_tokens' });
    case 'guardrail':
      return converse(res, {
        content: [{ text: 'Sorry, the model cannot answer this question.' }],
        stopReason: 'guardrail_intervened',
        trace: {
          guardrail: {
            modelOutput: ['Sorry, the model cannot answer this question.'],
            inputAssessment: {
              gr4bc123x9: {
                topicPolicy: { topics: [{ name: 'Weapons', type: 'DENY', action: 'BLOCKED', detected: true }] },
                contentPolicy: {
                  filters: [
                    { type: 'VIOLENCE', confidence: 'HIGH', filterStrength: 'HIGH', action: 'BLOCKED', detected: true },
                    { type: 'HATE', confidence: 'NONE', filterStrength: 'HIGH', action: 'NONE', detected: false },
                  ],
                },
                invocationMetrics: { guardrailProcessingLatency: 212, usage: { topicPolicyUnits: 1, contentPolicyUnits: 1 } },
              },
            },
            outputAssessments: {},
            actionReason: 'Guardrail blocked.',
          },
        },
      });
    case 'content-filtered':
      return converse(res, { content: [], stopReason: 'content_filtered' });
    case 'success':
      return converse(res, {
        content: [
          { reasoningContent: { reasoningText: { text: 'The user asks about France.', signature: 'sig' } } },
          { text: 'Paris is ' },
          { text: 'the capital of France.' },
        ],
        stopReason: 'end_turn',
      });
    default:
      return fail(400, 'ValidationException', `the fake has no scenario ${scenario}`);
  }
}

/**
 * The caller's identity, checked as AWS does: a known bearer key, or a SigV4 signature recomputed from what was
 * received. Null when it checks out, else the 403 to answer.
 */
async function authenticate(
  req: IncomingMessage,
  raw: string,
  region: string,
  seen: SeenRequest,
): Promise<{ type: string; message: string } | null> {
  const authorization = headerOf(req, 'authorization');
  if (!authorization) return { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  if (authorization.startsWith('Bearer ')) {
    seen.auth = 'bearer';
    if (!constantEqual(authorization.slice('Bearer '.length), BEDROCK_API_KEY))
      return { type: 'UnrecognizedClientException', message: INVALID_TOKEN };
    seen.verified = true;
    return null;
  }
  const parsed =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!parsed)
    return { type: 'IncompleteSignatureException', message: 'Authorization header requires Credential, SignedHeaders and Signature.' };
  seen.auth = 'sigv4';
  const [, accessKeyId, day, scopeRegion, service, signedList, signature] = parsed as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  seen.signedHeaders = signedList.split(';');
  const credential = KEYS.get(accessKeyId);
  if (!credential) return { type: 'UnrecognizedClientException', message: INVALID_TOKEN };
  const token = headerOf(req, 'x-amz-security-token');
  if (credential.sessionToken !== undefined && token !== credential.sessionToken)
    return { type: 'UnrecognizedClientException', message: INVALID_TOKEN };
  if (scopeRegion !== region)
    return { type: 'InvalidSignatureException', message: `Credential should be scoped to a valid region, not '${scopeRegion}'.` };
  if (service !== 'bedrock')
    return { type: 'InvalidSignatureException', message: `Credential should be scoped to correct service: 'bedrock'.` };
  const amzDate = headerOf(req, 'x-amz-date');
  const when = amzDate ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate) : null;
  if (!when || !seen.signedHeaders.includes('x-amz-date') || !seen.signedHeaders.includes('host')) {
    return { type: 'IncompleteSignatureException', message: 'Authorization header requires a signed host and X-Amz-Date.' };
  }
  const signingDate = new Date(Date.UTC(+when[1]!, +when[2]! - 1, +when[3]!, +when[4]!, +when[5]!, +when[6]!));
  if (amzDate!.slice(0, 8) !== day)
    return { type: 'InvalidSignatureException', message: 'Date in Credential scope does not match X-Amz-Date.' };
  if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60_000)
    return { type: 'InvalidSignatureException', message: 'Signature expired.' };
  const contentHash = headerOf(req, 'x-amz-content-sha256');
  if (contentHash !== null && contentHash !== createHash('sha256').update(raw, 'utf8').digest('hex')) {
    return { type: 'InvalidSignatureException', message: "The provided 'x-amz-content-sha256' header does not match what was computed." };
  }
  // Recompute over exactly the headers the client says it signed, with the raw (still encoded) path: the signer escapes
  // it once more, as AWS does for every service but S3, so a client that signed the decoded path fails here.
  const headers: Record<string, string> = {};
  for (const name of seen.signedHeaders) {
    const value = headerOf(req, name);
    if (value === null) return { type: 'IncompleteSignatureException', message: `Signed header ${name} is missing.` };
    headers[name] = value;
  }
  const [pathname, search = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(search)) query[k] = v;
  const signer = new SignatureV4({
    service: 'bedrock',
    region,
    credentials: {
      accessKeyId,
      secretAccessKey: credential.secret,
      ...(token && seen.signedHeaders.includes('x-amz-security-token') ? { sessionToken: token } : {}),
    },
    sha256: Sha256,
  });
  const expected = await signer.sign(
    { method: req.method ?? 'POST', protocol: 'http:', hostname: '127.0.0.1', path: pathname, query, headers, body: raw },
    { signingDate },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})$/.exec(String(expected.headers['authorization']))?.[1] ?? '';
  const expectedSigned = /SignedHeaders=([^,]+),/.exec(String(expected.headers['authorization']))?.[1] ?? '';
  if (expectedSigned !== signedList || !constantEqual(expectedSignature, signature))
    return { type: 'InvalidSignatureException', message: SIGNATURE_MISMATCH };
  seen.verified = true;
  return null;
}

/** The text of the one user message's first text block, or null when the body is not a Converse request. */
function userText(body: unknown): string | null {
  const messages = (body as { messages?: unknown } | undefined)?.messages;
  if (!Array.isArray(messages) || messages.length === 0) return null;
  const last = messages[messages.length - 1] as { role?: unknown; content?: unknown };
  if (last.role !== 'user' || !Array.isArray(last.content)) return null;
  const text = (last.content as { text?: unknown }[]).find((b) => typeof b.text === 'string')?.text;
  return typeof text === 'string' ? text : null;
}

/** Everything secret the fake saw or knows, repeated back. */
function echoed(req: IncomingMessage, seen: SeenRequest): string {
  const id = /Credential=([^/]+)/.exec(headerOf(req, 'authorization') ?? '')?.[1] ?? '';
  return (
    `You sent authorization=${headerOf(req, 'authorization')} token=${headerOf(req, 'x-amz-security-token')} ` +
    `key=${id} secret=${KEYS.get(id)?.secret ?? ''} (${seen.auth})`
  );
}

function converse(
  res: ServerResponse,
  answer: { content: unknown[]; stopReason: string; trace?: unknown },
  requestId: string = randomUUID(),
): void {
  const body = {
    output: { message: { role: 'assistant', content: answer.content } },
    stopReason: answer.stopReason,
    usage: { inputTokens: 21, outputTokens: 7, totalTokens: 28 },
    metrics: { latencyMs: 118 },
    ...(answer.trace ? { trace: answer.trace } : {}),
  };
  json(res, 200, body, { 'x-amzn-requestid': requestId });
}

function awsError(res: ServerResponse, status: number, type: string, message: string, messageKey: 'message' | 'Message' = 'message'): void {
  json(res, status, { [messageKey]: message }, { 'x-amzn-ErrorType': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...headers });
  res.end(JSON.stringify(body));
}

function headerOf(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? null);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function constantEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
