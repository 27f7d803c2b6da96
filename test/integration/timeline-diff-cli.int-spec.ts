import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BeaconApiClient } from '@beacon/api-client';
import { classifyResponse } from '@beacon/classifier';
import { LegacyImportRepository } from '@beacon/db';
import { legacyImportRows, parseLegacyDocument, type LiveEventView } from '@beacon/domain';
import { cliEnv, repoRoot, runCli } from '../utils/cli.js';
import type { Daemon } from '../utils/cli.js';
import { closeAllFleets, Fleet, jobSpec, waitFor } from '../utils/fleet.js';

afterAll(closeAllFleets);

const INCIDENT = 'full-test-3regions-2questions-1759245237';

/** `beacon timeline` and `beacon diff` against a `beacon serve` process; the live stream of that process's work. */
describe('beacon timeline / beacon diff', () => {
  let fleet: Fleet;
  let daemon: Daemon;

  beforeAll(async () => {
    fleet = await Fleet.create({ prefix: 'tlcli' });
    daemon = await fleet.startDaemon();
    const doc = parseLegacyDocument(JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/incident-2025-09-30.json'), 'utf8')));
    await new LegacyImportRepository(fleet.ds, classifyResponse).store(legacyImportRows(doc));
  });
  afterAll(async () => fleet?.close());

  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { env: cliEnv({ BEACON_API_URL: daemon.url, ...env }) });

  it('prints the incident timeline: lanes on one axis, the duplicate with its 3 min 23 s delay, a legend', async () => {
    const r = await cli(['timeline', INCIDENT, '--width', '160']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toContain(`job ${INCIDENT} · completed · 10 lanes · 2025-09-30T15:15:05.112Z → 2025-09-30T15:18:32.008Z (3 min 27 s)`);
    const lane = (legacy: string) => lines.find((l) => new RegExp(`^\\S+\\s+\\S+\\s+\\S+\\s+\\d+ \\(${legacy}\\)`).test(l))!;
    const first = lane('953');
    const dup = lane('955');
    expect(dup).toMatch(/duplicate of \d+ \(953\) \+3 min 23 s/);
    expect(first).toMatch(/duplicate of \d+ \(955\)$/);
    expect(dup).toMatch(/\|\s+█+\s*\|\s+DPI\b/);
    // 953 ran at the start of the axis, 955 near its end.
    expect(first.slice(first.indexOf('|') + 1).startsWith('█')).toBe(true);
    expect(dup.slice(dup.indexOf('|') + 1).startsWith(' ')).toBe(true);
    expect(dup.slice(0, dup.lastIndexOf('|')).endsWith('█')).toBe(true);
    expect(lines.filter((l) => /\|\s+OI\b/.test(l))).toHaveLength(3);
    expect(r.stdout).toContain('marks: D duplicate  O out of spec  P prompt drift');
    const json = await cli(['timeline', INCIDENT, '--json', '--region', 'us-east', '--model', 'qwen2.5-1.5b']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).lanes.map((l: any) => l.legacyId)).toEqual(['953', '955']);
  });

  it('prints the diff of 953 and 955 side by side or unified, without colour when not on a terminal', async () => {
    const wide = await cli(['diff', '953', '955', '--width', '140']);
    expect(wide.code).toBe(0);
    expect(wide.stdout).not.toContain('\x1b[');
    expect(wide.stdout).toMatch(/^a {2}953: execution \d+ \(legacy 953\) attempt 1 · us-east · qwen2\.5-1\.5b/);
    expect(wide.stdout).toContain(' │ ');
    expect(wide.stdout).toMatch(
      /systemPrompt\nYou are a helpful.{0,5}assistant\.\s+│ You are a helpful\{\+, honest, and harmless AI \+\}assistant/,
    );

    expect(wide.stdout).toMatch(/classification\n\[-answered-\]\s+│ \{\+refused\+\}/);
    expect(wide.stdout).toContain('differs in systemPrompt, response, classification');
    const unified = await cli(['diff', 'l:953', 'l:955', '--unified', '--width', '1000']);
    expect(unified.code).toBe(0);
    expect(unified.stdout).not.toContain(' │ ');
    expect(unified.stdout).toContain('{+, honest, and harmless AI +}assistant{+ based in the US+}.');
    expect(unified.stdout).toMatch(
      /I'\[-ll do my best to provide you -\]\{\+m sorry, but I can't assist \+\}with .*\[- The capital of France is Paris/,
    );
    expect(unified.stdout).toContain('[-answered-]{+refused+}');
    const json = await cli(['diff', '953', '955', '--json']);
    expect(JSON.parse(json.stdout).fields.find((f: any) => f.field === 'classification')).toMatchObject({ a: 'answered', b: 'refused' });
  });

  it('exits 3 naming the parameter for a bad ref and 4 for a missing one', async () => {
    const bad = await cli(['diff', 'zz', '953']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('a: "zz" is not');
    const missing = await cli(['diff', '953', 'a:987654']);
    expect(missing.code).toBe(4);
    expect((await cli(['timeline', 'no-such-job'])).code).toBe(4);
  });

  it('streams the work of the `beacon serve` process to the clients of another daemon on the same database', async () => {
    const api = await fleet.startInProcess({}, false);
    const ac = new AbortController();
    const events: LiveEventView[] = [];
    let connected = false;
    const spec = jobSpec('tlcli-live', 2, ['llama3.2-1b'], ['us-east']);
    const done = (async () => {
      for await (const e of new BeaconApiClient(api.url).events({ job: spec.id, kind: 'attempt_finished' }, ac.signal, (n) => {
        if (n.type === 'connected') connected = true;
      }))
        events.push(e);
    })();
    try {
      await waitFor('the stream', () => connected, 10_000);
      await fleet.submit(spec, daemon.url);
      await waitFor('both attempts', () => events.length === 2, 20_000);
      const runnerId = await fleet.runnerIdOf(daemon);
      expect(events.every((e) => e.runnerId === runnerId && e.outcome === 'succeeded')).toBe(true);
    } finally {
      ac.abort();
      await done;
    }
  });
});
