import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { classifyResponse } from '@beacon/classifier';
import { classifyFailure } from '@beacon/domain';
import { OpenAiCompatibleProvider, type ChatRequest } from '@beacon/engine';

/**
 * The OpenAI-compatible client against the shapes third-party servers really send, over real HTTP: each path of this
 * server answers `POST …/chat/completions` one way.
 */
describe('OpenAI-compatible provider: third-party response shapes', () => {
  let server: Server;
  let base: string;
  const seen: { url: string; auth: string | undefined; body: any }[] = [];
  const provider = new OpenAiCompatibleProvider(4);

  const answers: Record<string, (res: ServerResponse) => void> = {
    plain: (res) =>
      json(res, 200, {
        choices: [{ message: { role: 'assistant', content: 'Paris.' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 12, completion_tokens: 2 },
      }),
    parts: (res) =>
      json(res, 200, {
        choices: [
          {
            message: {
              content: [
                { type: 'thinking', thinking: 'hmm' },
                { type: 'text', text: 'Par' },
                { type: 'text', text: 'is.' },
              ],
            },
            finish_reason: 'stop',
          },
        ],
      }),
    think: (res) =>
      json(res, 200, {
        choices: [
          {
            message: {
              content: "<think>Sensitive. Decline politely.</think>\n\nI'm sorry, but I can't discuss that.",
              reasoning_content: null,
            },
            finish_reason: 'stop',
          },
        ],
      }),
    refusal: (res) =>
      json(res, 200, { choices: [{ message: { content: null, refusal: 'I cannot help with that request.' }, finish_reason: 'stop' }] }),
    filtered: (res) => json(res, 200, { choices: [{ message: { content: '' }, finish_reason: 'content_filter' }] }),
    'error-200': (res) => json(res, 200, { error: { message: 'upstream model overloaded', code: 503 } }),
    'not-json': (res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>gateway</html>');
    },
    'rate-limited': (res) => {
      res.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'slow down' } }));
    },
    'bad-content': (res) => json(res, 200, { choices: [{ message: { content: { text: 'x' } } }] }),
    huge: (res) => stream50MB(res, false),
    'huge-length': (res) => stream50MB(res, true),
  };
  /** Bytes each oversized answer got written before the client went away. */
  const hugeWritten: number[] = [];
  function stream50MB(res: ServerResponse, announce: boolean): void {
    const total = 50 * 1024 * 1024;
    res.writeHead(200, { 'content-type': 'application/json', ...(announce ? { 'content-length': String(total) } : {}) });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const slot = hugeWritten.push(0) - 1;
    const pump = () => {
      while (hugeWritten[slot]! < total && !res.destroyed) {
        hugeWritten[slot]! += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  }

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.on('data', (c: Buffer) => {
        raw += c.toString();
      });
      req.on('end', () => {
        seen.push({ url: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(raw) });
        const name = (req.url ?? '').split('/')[1] ?? '';
        (answers[name] ?? ((r: ServerResponse) => json(r, 404, { error: { message: 'no route' } })))(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await provider.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const call = (name: string, apiKey: string | null = null) =>
    provider.chat({
      baseUrl: `${base}/${name}/v1/`,
      apiKey,
      model: 'm',
      system: 'You are an AI assistant based in Europe.',
      user: 'Capital of France?',
      temperature: 0.1,
      maxTokens: 50,
      timeoutMs: 5000,
      signal: new AbortController().signal,
    } satisfies ChatRequest);

  it('sends system and user as two messages with the parameters, to baseUrl/chat/completions', async () => {
    const r = await call('plain', 'sk-test');
    expect(r).toMatchObject({ ok: true, status: 200, content: 'Paris.', finishReason: 'stop', inputTokens: 12, outputTokens: 2 });
    expect(seen.at(-1)).toMatchObject({
      url: '/plain/v1/chat/completions',
      auth: 'Bearer sk-test',
      body: {
        model: 'm',
        temperature: 0.1,
        max_tokens: 50,
        messages: [
          { role: 'system', content: 'You are an AI assistant based in Europe.' },
          { role: 'user', content: 'Capital of France?' },
        ],
      },
    });
  });

  it('joins the text parts of a content list and leaves other parts out', async () => {
    expect(await call('parts')).toMatchObject({ ok: true, content: 'Paris.' });
  });

  it('keeps a reasoning block in the stored content; the classifier labels what follows it', async () => {
    const r = await call('think');
    if (!r.ok) throw new Error(r.failure.message);
    expect(r.content).toContain('<think>');
    expect(classifyResponse({ content: r.content, finishReason: r.finishReason }).label).toBe('refused');
  });

  it("tells the model's refusal field (refused) and the provider's content filter (filtered) apart", async () => {
    const refusal = await call('refusal');
    if (!refusal.ok) throw new Error(refusal.failure.message);
    expect(classifyResponse(refusal)).toMatchObject({ label: 'refused', rule: 'provider.refusal_field' });
    const filtered = await call('filtered');
    if (!filtered.ok) throw new Error(filtered.failure.message);
    expect(classifyResponse(filtered)).toMatchObject({ label: 'filtered', rule: 'provider.content_filter' });
  });

  it('defect 13.11b: a body over the response cap is a final response_too_large failure, read no further than the cap', async () => {
    for (const name of ['huge', 'huge-length']) {
      const r = await provider.chat({
        baseUrl: `${base}/${name}/v1/`,
        apiKey: null,
        model: 'm',
        system: 's',
        user: 'u',
        temperature: 0,
        maxTokens: 5,
        timeoutMs: 20_000,
        signal: new AbortController().signal,
        maxResponseBytes: 1024 * 1024,
      });
      expect(r).toMatchObject({
        ok: false,
        status: 200,
        failure: { kind: 'response_too_large', message: expect.stringContaining('1048576 bytes') },
      });
      if (r.ok) throw new Error('unexpected success');
      expect(classifyFailure(r.failure)).toBe('final');
    }
    // The stream was abandoned near the cap: what the server got written is the cap plus socket buffers, not 50 MB.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hugeWritten).toHaveLength(2);
    for (const written of hugeWritten) expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('reports an error object, a non-JSON page, a 429 and an unreadable content as failures that say what came back', async () => {
    expect(await call('error-200')).toMatchObject({
      ok: false,
      failure: { kind: 'invalid_response', message: 'response is an error: upstream model overloaded' },
    });
    expect(await call('not-json')).toMatchObject({
      ok: false,
      body: '<html>gateway</html>',
      failure: { kind: 'invalid_response', message: 'response is not JSON' },
    });
    expect(await call('rate-limited')).toMatchObject({
      ok: false,
      status: 429,
      failure: { kind: 'http', status: 429, retryAfterMs: 7000, message: 'HTTP 429: slow down' },
    });
    expect(await call('bad-content')).toMatchObject({
      ok: false,
      failure: { kind: 'invalid_response', message: expect.stringContaining('content is neither a string nor a list') },
    });
  });
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
