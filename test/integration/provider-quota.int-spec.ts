import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openAiProvider } from '@beacon/domain';
import { HttpChatProvider, type ChatRequest } from '@beacon/engine';

/**
 * Client-side quotas over real HTTP: calls to a provider with `requestsPerMinute` reach it paced (a burst of a sixth,
 * then evenly), and `latencyMs` is the call's own time, not the wait. Lower bounds only: a loaded machine can only
 * make calls later, never earlier.
 */
describe('provider quotas', () => {
  let server: Server;
  let url: string;
  const arrivals: number[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      arrivals.push(Date.now());
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            choices: [{ message: { content: 'ok' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 1, completion_tokens: 1 },
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('paces calls to requestsPerMinute: 10 at once, then one per 1.2 s, with latency excluding the wait', async () => {
    const provider = new HttpChatProvider(16);
    const config = { ...openAiProvider(url, null), requestsPerMinute: 60 };
    const req = (): ChatRequest => ({
      baseUrl: url,
      apiKey: null,
      model: 'm',
      system: 's',
      user: 'u',
      temperature: 0,
      maxTokens: 10,
      timeoutMs: 10_000,
      signal: new AbortController().signal,
      provider: config,
    });
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 12 }, () => provider.chat(req())));
    await provider.close();
    expect(results.every((r) => r.ok)).toBe(true);
    const at = arrivals.map((a) => a - t0).sort((a, b) => a - b);
    expect(at).toHaveLength(12);
    expect(at[10]!).toBeGreaterThanOrEqual(1200 - 50);
    expect(at[11]!).toBeGreaterThanOrEqual(2400 - 50);
    // The last call waited about 2.4 s for its turn; its latency is its own round trip.
    expect(Math.max(...results.map((r) => r.latencyMs))).toBeLessThan(2300);
  });
});
