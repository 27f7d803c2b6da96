import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { NotificationRepository } from '@beacon/db';
import { parseConfig, notificationRoutes, resolveSinks, routeAccepts, type FindingSeverity, type NotificationRoute } from '@beacon/domain';
import { WebhookSender } from '@beacon/engine';
import { FindingsRepository, ReconcileService, type RawFinding, type ReconcilerRule } from '@beacon/reconciler';
import { DeliveryWorker } from '@beacon/runner';
import { cliEnv, requireBuild, runCli, startDaemon, type Daemon } from '../utils/cli.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { WebhookReceiver, type ReceivedRequest } from '../utils/webhook-receiver.js';

/**
 * Notifications end to end: findings written by the reconciler's own upsert, delivered by real `beacon serve` daemons
 * to a real HTTP receiver on loopback, over a real PostgreSQL.
 */

const HOOK_PATH = `/hooks/${randomBytes(12).toString('hex')}`;
const CHAT_PATH = `/services/T0/B0/${randomBytes(12).toString('hex')}`;
const HOOK_KEY = `whsec_${randomBytes(24).toString('hex')}`;
const CONFIG = `notifications:
  sinks:
    - { id: hook, kind: webhook, urlEnv: HOOK_URL, secretEnv: HOOK_KEY, rules: [label_flip, refusal_shift], minSeverity: warning, timeoutMs: 1500, maxAttempts: 3 }
    - { id: chat, kind: slack, urlEnv: CHAT_URL, rules: [label_flip], timeoutMs: 1500, maxAttempts: 3 }
`;

/** A reconciler rule that reports exactly the findings the test gives it (the real upsert, enqueue and resolve). */
function rule(id: string, severity: FindingSeverity, findings: () => RawFinding[]): ReconcilerRule {
  return { id, severity, title: id, explanation: id, kind: 'jobs', run: () => Promise.resolve(findings()) };
}

/** HMAC-SHA256 as a receiver computes it, written here from the header's definition (not the code under test). */
function validSignature(r: ReceivedRequest): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['x-beacon-signature'] ?? ''));
  if (!m) return false;
  const expected = createHmac('sha256', HOOK_KEY).update(`${m[1]}.${r.body}`).digest('hex');
  return expected === m[2] && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

async function until<T>(what: string, check: () => Promise<T | null | false> | T | null | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('notifications', () => {
  let db: TestDatabase;
  let receiver: WebhookReceiver;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let routes: NotificationRoute[];
  const daemons: Daemon[] = [];
  /** The findings each fake rule reports on the next run, by rule id. */
  const reported = new Map<string, RawFinding[]>();
  let reconciler: ReconcileService;

  const outbox = (summaryLike: string) =>
    db.ds.query<{ id: string; sink_id: string; state: string; attempts: number; max_attempts: number; last_error: string | null }[]>(
      `SELECT o.id, o.sink_id, o.state, o.attempts, o.max_attempts, o.last_error FROM notification_outbox o
         JOIN reconciler_findings f ON f.id = o.finding_id WHERE f.summary LIKE $1 ORDER BY o.id`,
      [summaryLike],
    );
  const log = (outboxId: string) =>
    db.ds.query<
      {
        attempt: number;
        outcome: string | null;
        http_status: number | null;
        duration_ms: number | null;
        error: string | null;
        host: string;
      }[]
    >(`SELECT attempt, outcome, http_status, duration_ms, error, host FROM notification_deliveries WHERE outbox_id = $1 ORDER BY attempt`, [
      outboxId,
    ]);
  const posts = (summary: string) => receiver.requests.filter((r) => r.body.includes(summary));
  /** Reports `findings` (on top of what each rule already reports) and runs the reconciler once. */
  const sight = async (findings: (RawFinding & { rule: string })[]) => {
    for (const f of findings) {
      const list = reported.get(f.rule) ?? [];
      if (!list.some((x) => x.fingerprint === f.fingerprint)) list.push(f);
      reported.set(f.rule, list);
    }
    const out = await reconciler.run({ persist: true, lockWaitMs: 30_000 });
    if (out.skipped || out.errors.length) throw new Error(`reconciler run: ${JSON.stringify(out)}`);
  };
  const finding = (rule: string, key: string): RawFinding & { rule: string } => ({
    rule,
    fingerprint: `${rule}:${key}`,
    jobId: `job-${key}`,
    summary: `case ${key}`,
    evidence: { question: 'q1', pValue: 0.001 },
  });

  beforeAll(async () => {
    requireBuild();
    db = await migratedDatabase('notify');
    receiver = await new WebhookReceiver().start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'beacon-notify-'));
    writeFileSync(path.join(dir, 'beacon.config.yaml'), CONFIG);
    env = cliEnv({
      DATABASE_URL: db.url,
      BEACON_CONFIG: path.join(dir, 'beacon.config.yaml'),
      HOOK_URL: receiver.url(HOOK_PATH),
      CHAT_URL: receiver.url(CHAT_PATH),
      HOOK_KEY,
      BEACON_RECONCILE: 'off',
      BEACON_NOTIFY_POLL_MS: '100',
      BEACON_NOTIFY_BACKOFF_MS: '200',
      BEACON_NOTIFY_BACKOFF_CAP_MS: '400',
      BEACON_NOTIFY_LEASE_MS: '3000',
      BEACON_LOG_LEVEL: 'info',
    });
    const config = parseConfig(CONFIG, 'test.yaml', env);
    routes = notificationRoutes(config);
    const rules = (['label_flip', 'refusal_shift', 'response_drift'] as const).map((id) =>
      rule(id, id === 'response_drift' ? 'info' : 'warning', () => reported.get(id) ?? []),
    );
    rules.push(rule('stuck_running', 'critical', () => reported.get('stuck_running') ?? []));
    reconciler = new ReconcileService(db.ds, {}, rules, routes);
    daemons.push(await startDaemon({ env }));
  });

  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
    await receiver?.close();
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a local webhook receiver gets exactly one delivery with a valid signature, however often the finding is seen', async () => {
    await sight([finding('label_flip', 'one')]);
    await sight([]); // seen again: no second enqueue
    await sight([]);
    const rows = await until('both sinks delivered', async () => {
      const r = await outbox('case one');
      return r.length === 2 && r.every((x) => x.state === 'delivered') && r;
    });
    expect(rows.map((r) => r.sink_id).sort()).toEqual(['chat', 'hook']);
    const [occ] = await db.ds.query(`SELECT occurrences FROM reconciler_findings WHERE fingerprint = 'label_flip:one'`);
    expect(occ.occurrences).toBe(3);
    await new Promise((r) => setTimeout(r, 500)); // a second delivery, if any, would have come by now
    const hook = posts('case one').filter((r) => r.path === HOOK_PATH);
    expect(hook).toHaveLength(1);
    expect(validSignature(hook[0]!)).toBe(true);
    const hookRow = rows.find((r) => r.sink_id === 'hook')!;
    expect(hook[0]!.headers['x-beacon-delivery']).toBe(hookRow.id);
    expect(hook[0]!.headers['x-beacon-event']).toBe('finding');
    const body = JSON.parse(hook[0]!.body);
    const [f] = await db.ds.query(`SELECT id::text, summary, job_id FROM reconciler_findings WHERE fingerprint = 'label_flip:one'`);
    expect(body).toMatchObject({
      deliveryId: hookRow.id,
      event: 'finding',
      finding: { id: f.id, ruleId: 'label_flip', severity: 'warning', jobId: f.job_id, summary: f.summary },
    });
    // The Slack sink: its incoming-webhook format, unsigned, once.
    const chat = posts('case one').filter((r) => r.path === CHAT_PATH);
    expect(chat).toHaveLength(1);
    expect(chat[0]!.headers['x-beacon-signature']).toBeUndefined();
    const slack = JSON.parse(chat[0]!.body);
    expect(slack.text).toBe('Beacon warning: label_flip: case one');
    expect(JSON.stringify(slack.blocks)).toMatch(/pValue=0\.001.*question=q1|question=q1.*pValue=0\.001/);
    expect((await log(hookRow.id)).map((l) => [l.attempt, l.outcome, l.http_status, l.host])).toEqual([
      [1, 'delivered', 200, `127.0.0.1:${receiver.port}`],
    ]);
  });

  it('routes by rule and minimum severity: other rules and lower severities are not enqueued', async () => {
    await sight([finding('stuck_running', 'route-a'), finding('response_drift', 'route-b'), finding('refusal_shift', 'route-c')]);
    expect((await outbox('case route-a')).length).toBe(0); // no sink takes stuck_running
    expect((await outbox('case route-b')).length).toBe(0); // info, below hook's warning; chat does not take response_drift
    expect((await outbox('case route-c')).map((r) => r.sink_id)).toEqual(['hook']);
  });

  it('retries a receiver that answers 500 then 200 with backoff; one delivery, every attempt logged', async () => {
    receiver.answer = (r) =>
      r.body.includes('case flaky') && posts('case flaky').length === 1 ? { status: 500, body: 'try later' } : { status: 200 };
    await sight([finding('refusal_shift', 'flaky')]);
    const [row] = await until('delivered', async () => {
      const r = await outbox('case flaky');
      return r[0]?.state === 'delivered' && r;
    });
    const got = posts('case flaky');
    expect(got).toHaveLength(2);
    expect(got.every(validSignature)).toBe(true);
    expect(new Set(got.map((r) => r.headers['x-beacon-delivery']))).toEqual(new Set([row!.id]));
    // First retry's nominal delay 200 ms, equal jitter: at least 100 ms between the two POSTs.
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(100);
    expect((await log(row!.id)).map((l) => [l.attempt, l.outcome, l.http_status])).toEqual([
      [1, 'retry', 500],
      [2, 'delivered', 200],
    ]);
  });

  it('dead-letters after maxAttempts of 500s, and at once on a 404', async () => {
    receiver.answer = (r) =>
      r.body.includes('case down')
        ? { status: 503, headers: { 'retry-after': '0' } }
        : r.body.includes('case gone')
          ? { status: 404 }
          : { status: 200 };
    await sight([finding('refusal_shift', 'down'), finding('refusal_shift', 'gone')]);
    const rows = await until('dead', async () => {
      const r = [...(await outbox('case down')), ...(await outbox('case gone'))];
      return r.length === 2 && r.every((x) => x.state === 'dead') && r;
    });
    expect(rows.map((r) => [r.attempts, r.max_attempts])).toEqual([
      [3, 3],
      [1, 3],
    ]);
    expect(rows[0]!.last_error).toMatch(/attempts exhausted \(3\/3\)/);
    expect(rows[1]!.last_error).toMatch(/final answer: http 404/);
    expect((await log(rows[0]!.id)).map((l) => l.outcome)).toEqual(['retry', 'retry', 'dead']);
    expect(posts('case down')).toHaveLength(3);
    expect(posts('case gone')).toHaveLength(1);
    const metrics = await (await fetch(`${daemons[0]!.url}/metrics`)).text();
    expect(Number(/^beacon_notification_deliveries_total\{sink="hook",outcome="dead"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(
      2,
    );
    expect(metrics).toMatch(/^beacon_notification_outbox\{state="dead"\} [1-9]/m);
  });

  it('is bounded by a hanging receiver and by one that answers 50 MB', async () => {
    receiver.answer = (r) =>
      r.body.includes('case hang') ? 'hang' : r.body.includes('case huge') ? { status: 200, bytes: 50 * 1024 * 1024 } : { status: 200 };
    await sight([finding('refusal_shift', 'hang'), finding('refusal_shift', 'huge')]);
    const [huge] = await until('huge delivered', async () => {
      const r = await outbox('case huge');
      return r[0]?.state === 'delivered' && r;
    });
    // Only the first few KiB were read: the connection was dropped long before 50 MB went out.
    expect(receiver.streamedBytes).toBeLessThan(10 * 1024 * 1024);
    const [hang] = await until('hang dead', async () => {
      const r = await outbox('case hang');
      return r[0]?.state === 'dead' && r;
    });
    const attempts = await log(hang!.id);
    expect(attempts.map((l) => l.outcome)).toEqual(['retry', 'retry', 'dead']);
    for (const a of attempts) {
      expect(a.error).toMatch(/timeout: no answer within 1500 ms/);
      expect(a.duration_ms).toBeLessThan(1500 + 1000);
    }
    expect((await log(huge!.id))[0]!.duration_ms).toBeLessThan(1500 + 1000);
    // The daemon stayed responsive throughout.
    expect((await fetch(`${daemons[0]!.url}/health/live`)).status).toBe(200);
  });

  it('never stores, logs or answers the secret URL or key a receiver echoes', async () => {
    receiver.answer = (r) =>
      r.body.includes('case echo')
        ? { status: 500, body: `bad signature ${String(r.headers['x-beacon-signature'])} for ${receiver.url(HOOK_PATH)} key ${HOOK_KEY}` }
        : { status: 200 };
    await sight([finding('label_flip', 'echo')]); // to both sinks
    await until('echo dead', async () => {
      const r = await outbox('case echo');
      return r.length === 2 && r.every((x) => x.state === 'dead') && r;
    });
    const secrets = [HOOK_KEY, HOOK_PATH.slice(1), CHAT_PATH.slice(1)];
    const dump = JSON.stringify([
      await db.ds.query(`SELECT * FROM notification_outbox`),
      await db.ds.query(`SELECT * FROM notification_deliveries`),
    ]);
    expect(dump).toContain('[REDACTED]');
    const answers = await Promise.all(
      ['/api/v1/notifications', '/api/v1/notifications/outbox?limit=1000', '/api/v1/notifications/deliveries?limit=1000'].map(async (p) =>
        (await fetch(`${daemons[0]!.url}${p}`)).text(),
      ),
    );
    for (const text of [dump, ...answers, daemons[0]!.output()]) for (const s of secrets) expect(text).not.toContain(s);
  });

  it('operator retry puts a dead row back to pending; the API and CLI answer it, the log and the list', async () => {
    receiver.answer = () => ({ status: 200 });
    const [dead] = await outbox('case gone');
    const cli = (...args: string[]) => runCli(args, { env: { ...env, BEACON_API_URL: daemons[0]!.url } });
    const retried = await cli('notify', 'retry', dead!.id, '--json');
    expect([retried.code, JSON.parse(retried.stdout)]).toEqual([0, { id: dead!.id, sinkId: 'hook', state: 'pending', maxAttempts: 1 + 3 }]);
    await until('redelivered', async () => (await outbox('case gone'))[0]?.state === 'delivered');
    expect((await cli('notify', 'retry', dead!.id)).code).toBe(5); // delivered now: not dead
    expect((await cli('notify', 'retry', '999999')).code).toBe(4);

    const list = await cli('notify', 'list', '--json');
    expect(list.code).toBe(0);
    const summary = JSON.parse(list.stdout) as { sinks: unknown[]; outbox: { sinkId: string; states: Record<string, number> }[] };
    const counted = await db.ds.query<{ sink_id: string; state: string; n: number }[]>(
      `SELECT sink_id, state, count(*)::int AS n FROM notification_outbox GROUP BY 1, 2`,
    );
    for (const s of summary.outbox)
      for (const [state, n] of Object.entries(s.states))
        expect([s.sinkId, state, n]).toEqual([s.sinkId, state, counted.find((c) => c.sink_id === s.sinkId && c.state === state)?.n ?? 0]);
    expect(summary.sinks).toEqual([
      { id: 'hook', kind: 'webhook', host: `127.0.0.1:${receiver.port}` },
      { id: 'chat', kind: 'slack', host: `127.0.0.1:${receiver.port}` },
    ]);

    const logged = await cli('notify', 'log', '--sink', 'hook', '--limit', '1000', '--json');
    const items = (JSON.parse(logged.stdout) as { items: { sinkId: string }[] }).items;
    const [{ n }] = await db.ds.query(`SELECT count(*)::int AS n FROM notification_deliveries WHERE sink_id = 'hook'`);
    expect([logged.code, items.length, items.every((i) => i.sinkId === 'hook')]).toEqual([0, n, true]);
  });

  it('beacon notify test posts a signed test event to each sink and exits 1 when one fails; serve refuses an unset key', async () => {
    receiver.answer = (r) => (r.path === CHAT_PATH ? { status: 403, body: 'invalid_token' } : { status: 200 });
    const before = receiver.requests.length;
    const all = await runCli(['notify', 'test', '--json'], { env });
    expect(all.code).toBe(1);
    const out = JSON.parse(all.stdout) as { ok: boolean; sinks: { id: string; ok: boolean; status: number }[] };
    expect(out.ok).toBe(false);
    expect(out.sinks.map((s) => [s.id, s.ok, s.status])).toEqual([
      ['hook', true, 200],
      ['chat', false, 403],
    ]);
    const sent = receiver.requests.slice(before);
    expect(sent).toHaveLength(2);
    const hook = sent.find((r) => r.path === HOOK_PATH)!;
    expect([validSignature(hook), hook.headers['x-beacon-event']]).toEqual([true, 'test']);
    const one = await runCli(['notify', 'test', '--sink', 'hook'], { env });
    expect([one.code, one.stdout]).toEqual([0, expect.stringMatching(/hook\s+webhook\s+127\.0\.0\.1:\d+\s+ok\s+200/)]);
    expect((await runCli(['notify', 'test', '--sink', 'nope'], { env })).code).toBe(2);
    const serve = await runCli(['serve', '--port', '0'], { env: { ...env, HOOK_KEY: undefined } });
    expect([serve.code, serve.stderr]).toEqual([
      2,
      expect.stringMatching(/notifications\.sinks\[0\]\.secretEnv: environment variable HOOK_KEY is not set/),
    ]);
    expect((await runCli(['notify', 'test'], { env: { ...env, HOOK_KEY: undefined } })).stderr).toMatch(
      /notifications\.sinks\[0\]\.secretEnv: environment variable HOOK_KEY is not set/,
    );
  });

  it('two daemons deliver each of many rows once; a daemon killed mid-delivery costs at most one repeat with the same id', async () => {
    receiver.answer = (r) => (r.body.includes('case stall') && posts('case stall').length === 1 ? 'hang' : { status: 200 });
    daemons.push(await startDaemon({ env }));
    const many = Array.from({ length: 40 }, (_, i) => finding('refusal_shift', `many-${i}`));
    await sight(many);
    const rows = await until('all delivered', async () => {
      const r = await outbox('case many-%');
      return r.length === 40 && r.every((x) => x.state === 'delivered') && r;
    });
    for (const row of rows) {
      const got = receiver.requests.filter((q) => q.headers['x-beacon-delivery'] === row.id);
      expect([row.id, got.length]).toEqual([row.id, 1]);
    }
    // Kill -9 the daemon holding the stalled POST: another takes the row over when its lease expires.
    await sight([finding('refusal_shift', 'stall')]);
    const owner = await until('stall posted', async () => {
      const [r] = await db.ds.query(
        `SELECT o.id, o.lease_owner FROM notification_outbox o JOIN reconciler_findings f ON f.id = o.finding_id
          WHERE f.summary = 'case stall' AND o.state = 'delivering'`,
      );
      return posts('case stall').length === 1 && r;
    });
    const [{ pid }] = await db.ds.query(`SELECT pid FROM runners WHERE id = $1`, [owner.lease_owner]);
    const victim = daemons.find((d) => d.proc.pid === pid) ?? null;
    expect(victim).not.toBeNull();
    await victim!.stop('SIGKILL');
    const [done] = await until('stall delivered', async () => {
      const r = await outbox('case stall');
      return r[0]?.state === 'delivered' && r;
    });
    const stall = posts('case stall');
    expect(stall).toHaveLength(2);
    expect(stall.map((r) => r.headers['x-beacon-delivery'])).toEqual([done!.id, done!.id]);
    expect((await log(done!.id)).map((l) => [l.attempt, l.outcome])).toEqual([
      [1, 'lease_expired'],
      [2, 'delivered'],
    ]);
  });
});

/**
 * Generated histories: findings first seen and seen again over several reconciler runs, each with a script of receiver
 * answers; the outbox and the delivery log are compared with a computation from the scripts alone. The worker runs
 * in-process here (the same class the daemon runs) so that many histories fit in the test's time.
 */
describe('notifications on generated histories', () => {
  let db: TestDatabase;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    db = await migratedDatabase('notifygen');
    receiver = await new WebhookReceiver().start();
  });
  afterAll(async () => {
    await receiver?.close();
    await db?.close();
  });

  it('outbox rows and delivery-log rows equal an independent count', async () => {
    const KEY = 'k'.repeat(32);
    const config = parseConfig(
      'notifications:\n  sinks:\n' +
        '    - { id: a, kind: webhook, urlEnv: A_URL, secretEnv: A_KEY, rules: [label_flip, refusal_shift], minSeverity: warning, maxAttempts: 3, timeoutMs: 2000 }\n' +
        '    - { id: b, kind: slack, urlEnv: B_URL, rules: [label_flip, response_drift], maxAttempts: 2, timeoutMs: 2000 }\n',
      'gen.yaml',
      {},
    );
    const envs = { A_URL: receiver.url('/a'), B_URL: receiver.url('/b'), A_KEY: KEY };
    const { sinks } = resolveSinks(config, envs);
    const routes = notificationRoutes(config);
    const RULE_SEVERITY: Record<string, FindingSeverity> = {
      label_flip: 'warning',
      refusal_shift: 'critical',
      response_drift: 'info',
      stuck_running: 'critical',
    };
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            rule: fc.constantFrom('label_flip', 'refusal_shift', 'response_drift', 'stuck_running'),
            // The receiver's answers to this finding's attempts, in order (the last repeats).
            script: fc.array(fc.constantFrom(200, 500, 429, 404), { minLength: 1, maxLength: 4 }),
            sightings: fc.integer({ min: 1, max: 3 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        async (history) => {
          run++;
          const tag = `gen${run}`;
          const keyOf = (i: number) => `${tag}-${i}`;
          receiver.answer = (r) => {
            const m = new RegExp(`case ${tag}-(\\d+):`).exec(r.body);
            const script = m ? history[Number(m[1])]!.script : [200];
            // This request is already recorded: it is attempt n of this finding at this sink.
            const n = receiver.requests.filter((q) => q.path === r.path && m !== null && q.body.includes(m[0])).length;
            return { status: script[Math.min(n, script.length) - 1]!, headers: { 'retry-after': '0' } };
          };
          const reported = new Map<string, RawFinding[]>();
          const rules = Object.entries(RULE_SEVERITY).map(([id, sev]) => rule(id, sev, () => reported.get(id) ?? []));
          const service = new ReconcileService(db.ds, {}, rules, routes);
          const maxSightings = Math.max(...history.map((h) => h.sightings));
          for (let s = 0; s < maxSightings; s++) {
            reported.clear();
            history.forEach((h, i) => {
              if (s < h.sightings)
                reported.set(h.rule, [
                  ...(reported.get(h.rule) ?? []),
                  { fingerprint: keyOf(i), jobId: null, summary: `case ${keyOf(i)}:`, evidence: {} },
                ]);
            });
            await service.run({ persist: true });
          }
          const worker = new DeliveryWorker(
            {
              runnerId: tag,
              sinks,
              concurrency: 4,
              pollMs: 20,
              leaseMs: 10_000,
              shutdownGraceMs: 1000,
              backoff: { baseMs: 1, factor: 2, capMs: 5 },
            },
            new NotificationRepository(db.ds),
            new WebhookSender(),
          );
          worker.start();
          // Independent expectation: per finding and sink that takes it, the attempts the script allows.
          const expected = history.flatMap((h, i) =>
            routes
              .filter((r) => routeAccepts(r, h.rule, RULE_SEVERITY[h.rule]!))
              .map((r) => {
                let attempts = 0;
                let state = 'pending';
                while (state === 'pending') {
                  attempts++;
                  const status = h.script[Math.min(attempts, h.script.length) - 1]!;
                  if (status === 200) state = 'delivered';
                  else if (status === 404 || attempts >= r.maxAttempts) state = 'dead';
                }
                return { key: `${keyOf(i)}/${r.sinkId}`, attempts, state };
              }),
          );
          const rowsOf = () =>
            db.ds.query<{ key: string; attempts: number; state: string; logged: number }[]>(
              `SELECT f.fingerprint || '/' || o.sink_id AS key, o.attempts, o.state,
                      (SELECT count(*)::int FROM notification_deliveries d WHERE d.outbox_id = o.id) AS logged
                 FROM notification_outbox o JOIN reconciler_findings f ON f.id = o.finding_id
                WHERE f.fingerprint LIKE $1 ORDER BY 1`,
              [`${tag}-%`],
            );
          try {
            await until('settled', async () => {
              const rows = await rowsOf();
              return rows.length === expected.length && rows.every((r) => r.state === 'delivered' || r.state === 'dead');
            });
          } finally {
            await worker.stop();
          }
          const rows = await rowsOf();
          expect(rows.map((r) => ({ key: r.key, attempts: r.attempts, state: r.state }))).toEqual(
            [...expected].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)),
          );
          for (const r of rows) expect([r.key, r.logged]).toEqual([r.key, r.attempts]);
        },
      ),
      { numRuns: 12 },
    );
  });
});

/** The outbox's lease rules on their own, against the real repository: a lost lease is fenced, a lost last attempt is dead. */
describe('notification outbox leases', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await migratedDatabase('notifylease');
  });
  afterAll(async () => {
    await db?.close();
  });

  const sinks = [{ id: 'hook', host: 'receiver.example:443' }];
  const enqueue = async (key: string, maxAttempts: number) => {
    const findings = new FindingsRepository(db.ds, [{ sinkId: 'hook', rules: ['label_flip'], minSeverity: 'info', maxAttempts }]);
    await findings.upsert([{ ruleId: 'label_flip', severity: 'warning', fingerprint: key, jobId: null, summary: key, evidence: {} }]);
  };
  const logOf = (id: string) =>
    db.ds.query<{ attempt: number; runner_id: string; outcome: string | null; http_status: number | null }[]>(
      `SELECT attempt, runner_id, outcome, http_status FROM notification_deliveries WHERE outbox_id = $1 ORDER BY attempt`,
      [id],
    );

  it('an answer recorded after the lease moved on is fenced: the new owner keeps the row, the log keeps both attempts', async () => {
    await enqueue('lease-fenced', 5);
    const repo = new NotificationRepository(db.ds);
    const [first] = await repo.claim('runner-a', sinks, 10, 50);
    expect(first).toMatchObject({ attempt: 1, reclaimed: false });
    await new Promise((r) => setTimeout(r, 150));
    const [second] = await repo.claim('runner-b', sinks, 10, 60_000);
    expect(second).toMatchObject({ id: first!.id, attempt: 2, reclaimed: true });
    const end = { state: 'delivered', outcome: 'delivered', delayMs: 0, durationMs: 5, httpStatus: 200, error: null } as const;
    expect(await repo.finish(first!, end)).toBe('fenced');
    expect(await repo.claim('runner-c', sinks, 10, 60_000)).toEqual([]); // still leased to runner-b
    expect(await repo.finish(second!, end)).toBe('won');
    expect((await logOf(first!.id)).map((l) => [l.attempt, l.runner_id, l.outcome, l.http_status])).toEqual([
      [1, 'runner-a', 'fenced', 200],
      [2, 'runner-b', 'delivered', 200],
    ]);
    const [row] = await db.ds.query(`SELECT state, attempts FROM notification_outbox WHERE id = $1`, [first!.id]);
    expect(row).toEqual({ state: 'delivered', attempts: 2 });
  });

  it('a last allowed attempt lost with its daemon is dead-lettered, its attempt closed lease_expired', async () => {
    await enqueue('lease-last', 1);
    const repo = new NotificationRepository(db.ds);
    const [only] = await repo.claim('runner-a', sinks, 10, 50);
    expect(await repo.deadLetterLost(['hook'])).toEqual([]); // lease still held
    await new Promise((r) => setTimeout(r, 150));
    expect(await repo.claim('runner-b', sinks, 10, 60_000)).toEqual([]); // no attempts left: not claimed again
    expect(await repo.deadLetterLost(['hook'])).toEqual([{ id: only!.id, sinkId: 'hook' }]);
    const [row] = await db.ds.query(`SELECT state, last_error FROM notification_outbox WHERE id = $1`, [only!.id]);
    expect(row.state).toBe('dead');
    expect(row.last_error).toMatch(/attempts exhausted \(1\/1\): the last attempt was lost/);
    expect((await logOf(only!.id)).map((l) => l.outcome)).toEqual(['lease_expired']);
    expect(await repo.retry(only!.id, new Map([['hook', 2]]), 8)).toEqual({
      id: only!.id,
      sinkId: 'hook',
      state: 'pending',
      maxAttempts: 3,
    });
    expect(await repo.retry(only!.id, new Map(), 8)).toBe('not_dead');
    expect(await repo.retry('987654321', new Map(), 8)).toBe('not_found');
  });
});
