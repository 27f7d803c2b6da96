import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { classifyResponse } from '@beacon/classifier';
import { classifyFailure, openAiProvider, type ProviderConfig } from '@beacon/domain';
import { HttpChatProvider, type ChatFailure, type ChatRequest, type ChatSuccess } from '@beacon/engine';
import {
  ACCESS_KEY_ID,
  BEDROCK_API_KEY,
  SECRET_ACCESS_KEY,
  SESSION_TOKEN,
  TEMP_ACCESS_KEY_ID,
  TEMP_SECRET_ACCESS_KEY,
  start,
  type BedrockFake,
} from '../utils/fakes/bedrock-fake.js';

const HAIKU_PROFILE = 'us.anthropic.claude-3-haiku-20240307-v1:0';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The Bedrock Converse adapter through the real transport, over real HTTP, against a fake that checks every SigV4
 * signature with the AWS SDK's signer and answers as the Converse API reference says.
 */
describe('Bedrock Converse provider (SigV4) against a verifying fake', () => {
  let fake: BedrockFake;
  let provider: ProviderConfig;
  const client = new HttpChatProvider(4);

  beforeAll(async () => {
    fake = await start();
    provider = { ...openAiProvider(fake.url, 'AWS_SECRET'), kind: 'bedrock', awsRegion: 'us-east-1', accessKeyIdEnv: 'AWS_ID' };
  });
  afterAll(async () => {
    await client.close();
    await fake.close();
  });

  const call = (
    user: string,
    opts: {
      model?: string;
      apiKey?: string | null;
      accessKeyId?: string | null;
      sessionToken?: string | null;
      timeoutMs?: number;
      awsRegion?: string;
    } = {},
  ) =>
    client.chat({
      baseUrl: fake.url,
      apiKey: opts.apiKey === undefined ? SECRET_ACCESS_KEY : opts.apiKey,
      model: opts.model ?? 'amazon.nova-lite-v1:0',
      system: 'You are an AI assistant based in Europe.',
      user,
      temperature: 0.1,
      maxTokens: 50,
      timeoutMs: opts.timeoutMs ?? 5000,
      signal: new AbortController().signal,
      provider: opts.awsRegion ? { ...provider, awsRegion: opts.awsRegion } : provider,
      credentials: {
        accessKeyId: opts.accessKeyId === undefined ? ACCESS_KEY_ID : opts.accessKeyId,
        sessionToken: opts.sessionToken ?? null,
      },
    } satisfies ChatRequest);

  const success = (r: ChatSuccess | ChatFailure): ChatSuccess => {
    if (!r.ok) throw new Error(`expected a success, got ${r.failure.kind}: ${r.failure.message}`);
    return r;
  };
  const failure = (r: ChatSuccess | ChatFailure): ChatFailure => {
    if (r.ok) throw new Error(`expected a failure, got ${r.content}`);
    return r;
  };

  it('sends a signed Converse request and reads text, tokens, stop reason and request id', async () => {
    const r = success(await call('Capital of France?'));
    expect(r).toMatchObject({
      ok: true,
      status: 200,
      content: 'Paris is the capital of France.', // text blocks joined, the reasoning block left out
      finishReason: 'stop',
      inputTokens: 21,
      outputTokens: 7,
      usage: { inputTokens: 21, outputTokens: 7, totalTokens: 28 },
      refusal: null,
      safety: null,
      responseModel: null,
      // Bedrock says nothing in-band about where the call ran, and no regionHeader is configured.
      regionObserved: null,
    });
    expect(r.requestId).toMatch(UUID);
    expect(classifyResponse(r).label).not.toBe('filtered');
    const seen = fake.requests.at(-1)!;
    expect(seen).toMatchObject({
      method: 'POST',
      path: '/model/amazon.nova-lite-v1%3A0/converse',
      modelId: 'amazon.nova-lite-v1:0',
      auth: 'sigv4',
      verified: true,
      errorType: null,
      body: {
        system: [{ text: 'You are an AI assistant based in Europe.' }],
        messages: [{ role: 'user', content: [{ text: 'Capital of France?' }] }],
        inferenceConfig: { maxTokens: 50, temperature: 0.1 },
      },
    });
    expect(seen.signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-content-sha256', 'content-type']));
    expect(seen.signedHeaders).not.toContain('x-amz-security-token');
    expect(seen.headers['x-amz-security-token']).toBeUndefined();
    expect(seen.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, /,
    );
  });

  it('is refused, final, when signed with the wrong secret, an unknown key or for another region', async () => {
    const wrongSecret = failure(await call('hi', { apiKey: 'not/the/secret/key/at/all/0000000000000' }));
    expect(wrongSecret).toMatchObject({
      status: 403,
      failure: {
        kind: 'http',
        status: 403,
        message: expect.stringContaining('InvalidSignatureException: The request signature we calculated'),
      },
    });
    expect(classifyFailure(wrongSecret.failure)).toBe('final');
    expect(fake.requests.at(-1)).toMatchObject({ auth: 'sigv4', verified: false, errorType: 'InvalidSignatureException' });

    const unknownKey = failure(await call('hi', { accessKeyId: 'AKIAUNKNOWNKEY000000' }));
    expect(unknownKey.failure.message).toBe(
      'HTTP 403: UnrecognizedClientException: The security token included in the request is invalid.',
    );
    expect(classifyFailure(unknownKey.failure)).toBe('final');

    const otherRegion = failure(await call('hi', { awsRegion: 'eu-west-1' }));
    expect(otherRegion.failure.message).toContain('InvalidSignatureException: Credential should be scoped to a valid region');
    expect(classifyFailure(otherRegion.failure)).toBe('final');
  });

  it('sends and signs the session token of temporary credentials; without it they are refused', async () => {
    success(await call('hi', { accessKeyId: TEMP_ACCESS_KEY_ID, apiKey: TEMP_SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN }));
    const seen = fake.requests.at(-1)!;
    expect(seen).toMatchObject({ auth: 'sigv4', verified: true });
    expect(seen.headers['x-amz-security-token']).toBe(SESSION_TOKEN);
    expect(seen.signedHeaders).toContain('x-amz-security-token');

    const noToken = failure(await call('hi', { accessKeyId: TEMP_ACCESS_KEY_ID, apiKey: TEMP_SECRET_ACCESS_KEY }));
    expect(noToken.failure.message).toContain('UnrecognizedClientException');
    expect(classifyFailure(noToken.failure)).toBe('final');
  });

  it('URL-encodes inference profile ids and ARNs (colon, slash) and signs the path as sent', async () => {
    success(await call('hi', { model: HAIKU_PROFILE }));
    expect(fake.requests.at(-1)).toMatchObject({
      path: '/model/us.anthropic.claude-3-haiku-20240307-v1%3A0/converse',
      modelId: HAIKU_PROFILE,
      verified: true,
    });
    const arn = `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${HAIKU_PROFILE}`;
    success(await call('hi', { model: arn }));
    expect(fake.requests.at(-1)).toMatchObject({
      path: `/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F${encodeURIComponent(HAIKU_PROFILE)}/converse`,
      modelId: arn,
      verified: true,
    });
  });

  it('sends a Bedrock API key as a bearer token when there is no access key id', async () => {
    success(await call('hi', { accessKeyId: null, apiKey: BEDROCK_API_KEY }));
    const seen = fake.requests.at(-1)!;
    expect(seen).toMatchObject({ auth: 'bearer', verified: true });
    expect(seen.headers['x-amz-date']).toBeUndefined();
    const wrong = failure(await call('hi', { accessKeyId: null, apiKey: 'ABSKnot-a-key' }));
    expect(classifyFailure(wrong.failure)).toBe('final');
    const none = failure(await call('hi', { accessKeyId: null, apiKey: null }));
    expect(none.failure.message).toBe('HTTP 403: MissingAuthenticationTokenException: Missing Authentication Token');
    expect(classifyFailure(none.failure)).toBe('final');
  });

  it.each([
    ['throttle', 429, 429, 'ThrottlingException: Too many requests', 'retryable'],
    ['not-ready', 429, 429, 'ModelNotReadyException', 'retryable'],
    ['internal', 500, 500, 'InternalServerException', 'retryable'],
    ['unavailable', 503, 503, 'ServiceUnavailableException', 'retryable'],
    ['model-timeout', 408, 408, 'ModelTimeoutException', 'retryable'],
    // 424 is final to the policy: the adapter classifies it under 502; the queue's max attempts bound the retries.
    ['model-error', 424, 502, 'ModelErrorException: The model produced an invalid response.', 'retryable'],
    [
      'validation',
      400,
      400,
      'ValidationException: Invocation of model ID anthropic.claude-3-haiku-20240307-v1:0 with on-demand throughput isn\u2019t supported',
      'final',
    ],
    ['access-denied', 403, 403, "AccessDeniedException: You don't have access", 'final'],
    ['not-found', 404, 404, 'ResourceNotFoundException', 'final'],
    ['type-in-body', 429, 429, 'ThrottlingException: Rate exceeded', 'retryable'],
  ] as const)(
    '%s: HTTP %i is classified under %i with the AWS error type in the message (%s, %s)',
    async (scenario, status, classed, message, cls) => {
      const r = failure(await call(`scenario:${scenario}`));
      expect(r).toMatchObject({
        status,
        failure: { kind: 'http', status: classed, message: expect.stringContaining(`HTTP ${status}: ${message}`) },
      });
      expect(r.requestId).toMatch(UUID);
      expect(classifyFailure(r.failure)).toBe(cls);
    },
  );

  it('reads a guardrail intervention with its trace, and a content filter, as filtered answers', async () => {
    const guardrail = success(await call('scenario:guardrail'));
    expect(guardrail).toMatchObject({ content: 'Sorry, the model cannot answer this question.', finishReason: 'content_filter' });
    expect(guardrail.safety).toBe(
      'bedrock stopReason guardrail_intervened (input gr4bc123x9: topicPolicy Weapons BLOCKED, contentPolicy VIOLENCE/HIGH BLOCKED; reason: Guardrail blocked.)',
    );
    expect(
      classifyResponse({ content: guardrail.content, finishReason: guardrail.finishReason, refusal: guardrail.refusal }),
    ).toMatchObject({
      label: 'filtered',
      rule: 'provider.content_filter',
    });

    const filtered = success(await call('scenario:content-filtered'));
    expect(filtered).toMatchObject({ content: null, finishReason: 'content_filter', safety: 'bedrock stopReason content_filtered' });
    expect(classifyResponse({ content: filtered.content, finishReason: filtered.finishReason, refusal: filtered.refusal }).label).toBe(
      'filtered',
    );

    expect(success(await call('scenario:max-tokens')).finishReason).toBe('length');
  });

  it('times out on an upstream that never answers, and reports a truncated body as an invalid response', async () => {
    const hang = failure(await call('scenario:hang', { timeoutMs: 300 }));
    expect(hang.failure).toMatchObject({ kind: 'timeout', message: 'no answer within 300 ms' });
    expect(classifyFailure(hang.failure)).toBe('retryable');

    const broken = failure(await call('scenario:invalid-json'));
    expect(broken).toMatchObject({ status: 200, failure: { kind: 'invalid_response', message: 'response is not JSON' } });
    expect(classifyFailure(broken.failure)).toBe('final');
  });

  it('returns no secret (secret key, session token, key id, API key) even when the upstream echoes them', async () => {
    const temp = { accessKeyId: TEMP_ACCESS_KEY_ID, apiKey: TEMP_SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN };
    const results = [
      await call('scenario:echo', temp),
      await call('scenario:echo-ok', temp),
      await call('scenario:echo'),
      await call('scenario:echo-ok', { accessKeyId: null, apiKey: BEDROCK_API_KEY }),
      await call('scenario:echo', { accessKeyId: null, apiKey: BEDROCK_API_KEY }),
    ];
    // The fake did echo them: its body and request-id header repeat what it was sent and the secret it knows.
    expect(fake.requests.slice(-5).every((s) => s.verified)).toBe(true);
    expect(results.map((r) => r.ok)).toEqual([false, true, false, true, false]);
    expect(JSON.stringify(results)).toContain('You sent authorization=');
    for (const r of results) {
      const all = JSON.stringify(r);
      for (const secret of [TEMP_SECRET_ACCESS_KEY, SESSION_TOKEN, TEMP_ACCESS_KEY_ID, SECRET_ACCESS_KEY, ACCESS_KEY_ID, BEDROCK_API_KEY]) {
        expect(all).not.toContain(secret);
      }
    }
  });
});
