import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ProviderConfig } from '@beacon/domain';
import { injectTraceHeaders } from '@beacon/observability';
import type { ChatFailure, ChatRequest, ChatSuccess } from '../chat-provider.js';
import type { PreparedCall, ProviderAdapter, UpstreamAnswer } from '../adapter.js';
import { errorMessageOf, field, httpFailure, invalidResponse, parseJson, str, toInt } from '../adapter-util.js';

/** The SigV4 signing name of Bedrock Runtime (the host says `bedrock-runtime`, the signature says `bedrock`). */
const SIGNING_SERVICE = 'bedrock';

/**
 * The status each AWS error type is classified under (retryable: 408, 429, 5xx; final: other 4xx), whatever status it
 * arrived with: the type is what the API documents, a proxy may have rewritten the status.
 */
const ERROR_STATUS: Readonly<Record<string, number>> = {
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
  ModelTimeoutException: 408,
  // The model failed on this input (HTTP 424). The research says retry it at most once; the queue's max attempts bound
  // the retries, so it is classified retryable, under 502 (the model behind the service failed) since 424 is final.
  ModelErrorException: 502,
  ValidationException: 400,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  // Credentials AWS does not accept: no retry fixes them.
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  IncompleteSignatureException: 403,
  MissingAuthenticationTokenException: 403,
  ExpiredTokenException: 403,
};

/** `/model/{modelId}/converse` of `baseUrl`: ids, ARNs and inference profiles (`us.…:0`) are one encoded path segment. */
export function converseUrl(baseUrl: string, modelId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/model/${encodeURIComponent(modelId)}/converse`;
}

/** The Converse body of one system + user turn. */
export function converseBody(req: ChatRequest): string {
  return JSON.stringify({
    system: [{ text: req.system }],
    messages: [{ role: 'user', content: [{ text: req.user }] }],
    inferenceConfig: { maxTokens: req.maxTokens, temperature: req.temperature },
  });
}

/**
 * The region requests are signed for: the configured one, else the region of a `bedrock-runtime.{region}.amazonaws.com`
 * host (config checks require `awsRegion`, so the fallback is for hand-built requests).
 */
function signingRegion(provider: ProviderConfig, url: URL): string {
  if (provider.awsRegion) return provider.awsRegion;
  const fromHost = /^bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1];
  if (fromHost) return fromHost;
  throw new Error(`bedrock: no awsRegion configured and none in the host ${url.hostname}`);
}

/**
 * The call, signed with SigV4 by the AWS SDK's own signer when an access key id is given, or with a Bedrock API key
 * as a bearer token when only `apiKey` is. What is signed is exactly what undici sends: the host (with its port), the
 * encoded path (the signer escapes it once more, as SigV4 wants for every service but S3, and so does AWS when it
 * checks), the body, and the content type. `accept` and the trace headers are added after signing, unsigned, so a
 * tracer rewriting them cannot break the signature.
 */
async function prepare(req: ChatRequest, provider: ProviderConfig): Promise<PreparedCall> {
  const url = converseUrl(req.baseUrl, req.model);
  const body = converseBody(req);
  const parsed = new URL(url);
  const unsigned = injectTraceHeaders({ accept: 'application/json' });
  const accessKeyId = req.credentials?.accessKeyId ?? null;
  const secret = req.apiKey;
  if (accessKeyId === null || !secret) {
    // No key pair to sign with: a Bedrock API key goes as a bearer token; with no key at all the request goes out
    // unauthenticated and AWS's 403 (MissingAuthenticationTokenException) says so, final, rather than a local error
    // the transport would report as a retryable network failure.
    const auth: Record<string, string> = accessKeyId === null && secret ? { authorization: `Bearer ${secret}` } : {};
    return { url, method: 'POST', headers: { 'content-type': 'application/json', ...auth, ...unsigned }, body };
  }
  const sessionToken = req.credentials?.sessionToken ?? null;
  const signer = new SignatureV4({
    service: SIGNING_SERVICE,
    region: signingRegion(provider, parsed),
    credentials: { accessKeyId, secretAccessKey: secret, ...(sessionToken ? { sessionToken } : {}) },
    sha256: Sha256,
  });
  const query: Record<string, string> = {};
  for (const [k, v] of parsed.searchParams) query[k] = v;
  const signed = await signer.sign({
    method: 'POST',
    protocol: parsed.protocol,
    hostname: parsed.hostname,
    ...(parsed.port ? { port: Number(parsed.port) } : {}),
    path: parsed.pathname,
    query,
    headers: { host: parsed.host, 'content-type': 'application/json' },
    body,
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) if (typeof value === 'string') headers[name] = value;
  return { url, method: 'POST', headers: { ...headers, ...unsigned }, body };
}

/**
 * The AWS error type: the `x-amzn-errortype` header (`ThrottlingException:http://internal.amazon.com/…`, the part
 * before the colon), else the body's `__type` (`com.amazon.coral.service#ThrottlingException`, the part after `#`).
 */
export function awsErrorType(answer: Pick<UpstreamAnswer, 'headers' | 'text'>): string | null {
  const header = answer.headers['x-amzn-errortype'];
  const fromHeader = header ? header.split(':')[0]!.trim() : '';
  if (fromHeader) return fromHeader;
  const fromBody = str(field(parseJson(answer.text), '__type'));
  const type = fromBody ? (fromBody.split('#').pop() ?? '').trim() : '';
  return type || null;
}

/** A failure named by its AWS error type, classified by {@link ERROR_STATUS} when the type is known. */
function parseError(answer: UpstreamAnswer): ChatFailure {
  const type = awsErrorType(answer);
  const said = errorMessageOf(answer.text);
  const message = type ? (said ? `${type}: ${said}` : type) : said;
  const status = type ? ERROR_STATUS[type] : undefined;
  return httpFailure(answer, message, status === undefined ? {} : { status });
}

/** Bedrock's `stopReason` in the vocabulary the classifier reads (`stop`, `length`, `content_filter`); others as sent. */
export function finishReasonOf(stopReason: string | null): string | null {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    // The answer was cut because the context filled up: a truncation, as `max_tokens` is.
    case 'model_context_window_exceeded':
      return 'length';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return stopReason;
  }
}

/** The policies of one guardrail assessment that acted (`action` other than NONE), as `policy kind[/confidence] action`. */
function assessmentFindings(assessment: unknown): string[] {
  const out: string[] = [];
  const lists: [string, string, string][] = [
    ['topicPolicy', 'topics', 'name'],
    ['contentPolicy', 'filters', 'type'],
    ['wordPolicy', 'customWords', 'match'],
    ['wordPolicy', 'managedWordLists', 'type'],
    ['sensitiveInformationPolicy', 'piiEntities', 'type'],
    ['sensitiveInformationPolicy', 'regexes', 'name'],
    ['contextualGroundingPolicy', 'filters', 'type'],
  ];
  for (const [policy, list, nameKey] of lists) {
    const items = field(field(assessment, policy), list);
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      const action = str(field(item, 'action'));
      if (action === null || action === 'NONE') continue;
      const confidence = str(field(item, 'confidence'));
      const name = str(field(item, nameKey)) ?? '?';
      out.push(`${policy} ${name}${confidence ? `/${confidence}` : ''} ${action}`);
    }
  }
  return out;
}

/**
 * What `trace.guardrail` says acted, when the request asked for a trace (or the account's guardrail sends one): the
 * input assessment and the output assessments of each guardrail, and the action's reason.
 */
export function guardrailSummary(trace: unknown): string | null {
  const guardrail = field(trace, 'guardrail');
  if (guardrail === null || typeof guardrail !== 'object') return null;
  const parts: string[] = [];
  const input = field(guardrail, 'inputAssessment');
  if (input !== null && typeof input === 'object') {
    for (const [id, assessment] of Object.entries(input)) {
      const found = assessmentFindings(assessment);
      if (found.length) parts.push(`input ${id}: ${found.join(', ')}`);
    }
  }
  const outputs = field(guardrail, 'outputAssessments');
  if (outputs !== null && typeof outputs === 'object') {
    for (const [id, assessments] of Object.entries(outputs)) {
      const found = (Array.isArray(assessments) ? assessments : [assessments]).flatMap(assessmentFindings);
      if (found.length) parts.push(`output ${id}: ${found.join(', ')}`);
    }
  }
  const reason = str(field(guardrail, 'actionReason'));
  if (reason) parts.push(`reason: ${reason}`);
  return parts.length ? parts.join('; ') : null;
}

/**
 * A Converse answer: the text blocks of `output.message.content` joined (reasoning and tool blocks are not the
 * answer), `stopReason`, `usage`. A guardrail or content filter stop is a success labelled by `finishReason:
 * content_filter`, with `safety` saying which and, when there is a trace, what acted. No model or region is reported
 * in-band: `responseModel` is null, `regionObserved` only what the transport read from a configured header.
 */
function parseSuccess(answer: UpstreamAnswer): ChatSuccess | ChatFailure {
  const json = parseJson(answer.text);
  if (json === undefined) return invalidResponse(answer, 'response is not JSON');
  const content = field(field(field(json, 'output'), 'message'), 'content');
  if (!Array.isArray(content)) {
    const said = errorMessageOf(answer.text);
    return invalidResponse(answer, said ? `response is an error: ${said.slice(0, 300)}` : 'response has no output.message.content list');
  }
  const texts: string[] = [];
  for (const block of content) {
    const text = field(block, 'text');
    if (typeof text === 'string') texts.push(text);
  }
  const stopReason = str(field(json, 'stopReason'));
  const finishReason = finishReasonOf(stopReason);
  let safety: string | null = null;
  if (finishReason === 'content_filter') {
    const summary = guardrailSummary(field(json, 'trace'));
    safety = `bedrock stopReason ${stopReason}${summary ? ` (${summary})` : ''}`.slice(0, 1000);
  }
  const usage = field(json, 'usage');
  return {
    ok: true,
    status: answer.status,
    requestId: answer.requestId,
    regionObserved: answer.regionObserved,
    latencyMs: answer.latencyMs,
    responseModel: null,
    content: texts.length ? texts.join('') : null,
    refusal: null,
    finishReason,
    safety,
    inputTokens: toInt(field(usage, 'inputTokens')),
    outputTokens: toInt(field(usage, 'outputTokens')),
    usage: usage !== null && typeof usage === 'object' ? (usage as Record<string, unknown>) : null,
  };
}

/** AWS Bedrock Converse (`POST {baseUrl}/model/{modelId}/converse`), SigV4-signed or with a Bedrock API key. */
export const bedrockAdapter: ProviderAdapter = {
  kind: 'bedrock',
  requestIdHeaders: ['x-amzn-requestid'],
  // Bedrock names no serving region in-band (research §2); only a configured `regionHeader` is read.
  regionHeaders: [],
  prepare,
  parseSuccess,
  parseError,
};
