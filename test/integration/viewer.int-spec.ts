import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { LivePublisher, queryRows } from '@beacon/db';
import { cliEnv, repoRoot, requireBuild, runCli } from '../utils/cli.js';
import { closeAllFleets, Fleet, waitFor } from '../utils/fleet.js';
import { securedConfig, TOKENS } from '../utils/security.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Locally a missing browser skips the browser checks; in CI (which installs chromium) it fails the run.
const withBrowser = existsSync(CHROMIUM) || process.env.CI === 'true' ? it : it.skip;
/** Screenshots are kept here as test artefacts (under `.beacon/`, which git ignores). */
const ARTIFACTS = path.join(repoRoot, '.beacon', 'artifacts', 'viewer');
const AXE = readFileSync(path.join(repoRoot, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const DEMO_SPEC = readFileSync(path.join(repoRoot, 'examples', 'bias-detection-8x3x3.json'), 'utf8');
const REGIONS = ['us-east', 'eu-west', 'asia-pacific'];
const MODELS = ['llama3.2-1b', 'qwen2.5-1.5b', 'mistral-7b'];
/** A stored response that spells markup of every dangerous kind. */
const HOSTILE =
  '<script>window.__pwned = "script"</script><img src="x" onerror="window.__pwned = \'img\'">' +
  '<a href="javascript:window.__pwned = \'link\'">click me</a> 天安门 <b>bold?</b>';

afterAll(closeAllFleets);

/** A job planted straight in SQL in a region no runner serves, so its cells change only when the test says. */
async function plantJob(fleet: Fleet, id: string, questions: { id: string; text: string }[], regions: string[]): Promise<void> {
  const spec = {
    id,
    benchmark: { name: 'planted', version: null, description: null },
    questions: questions.map((q) => ({ ...q, category: null, source: 'inline' })),
    models: [{ id: 'llama3.2-1b', name: 'llama3.2-1b' }],
    regions: regions.map((r) => ({ id: r, displayName: r })),
    repeats: 1,
  };
  // One transaction, as a submission is: the daemon's roll-up (every 500 ms) must never see the running job without
  // its cells, which it would end `failed` (no cell succeeded), and the page would rightly offer no cancel.
  await fleet.ds.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, cells_expected, status, submitter)
       VALUES ($1, 'beacon', '{}', 'x', $2, $3, 'running', 'sam')`,
      [id, JSON.stringify(spec), questions.length * regions.length],
    );
    await tx.query(
      `INSERT INTO executions (job_id, question_id, model_id, region, trace_id)
       SELECT $1, q, 'llama3.2-1b', r, md5($1 || q || r) FROM unnest($2::text[]) q, unnest($3::text[]) r`,
      [id, questions.map((q) => q.id), regions],
    );
  });
}

/** Marks cells of a job succeeded with a label and response, and publishes their new state as the engine does. */
async function finishCells(fleet: Fleet, jobId: string, limit: number, label: string, response: string): Promise<void> {
  const rows = await queryRows<{ id: string; region: string; model_id: string; question_id: string }>(
    fleet.ds,
    `UPDATE executions SET state = 'succeeded', result_attempt = 1, finished_at = now(), classification = $3, response = $4, attempts = 1
      WHERE id IN (SELECT id FROM executions WHERE job_id = $1 AND state = 'pending' ORDER BY id LIMIT $2)
      RETURNING id::text, region, model_id, question_id`,
    [jobId, limit, label, response],
  );
  const publisher = new LivePublisher(fleet.ds);
  for (const r of rows)
    publisher.push({
      kind: 'execution_state',
      at: Date.now(),
      jobId,
      executionId: r.id,
      region: r.region,
      modelId: r.model_id,
      questionId: r.question_id,
      state: 'succeeded',
    });
  await publisher.close();
}

/** Runs axe-core on the page (evaluated through the DevTools protocol, which the page's CSP does not govern). */
async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as any).axe;
    const r = await axe.run((globalThis as any).document, { resultTypes: ['violations'] });
    return r.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')) }));
  });
  return (result as { id: string; impact: string; nodes: string[] }[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

describe('web viewer', () => {
  let fleet: Fleet;
  let url: string;
  let demoId: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  /** A browser tab signed in with `token` (through the sign-in form, as a person would). */
  async function signedIn(token: string, width = 1280, theme: 'light' | 'dark' = 'light'): Promise<{ page: Page; requests: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: theme });
    contexts.push(context);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => void d.dismiss());
    await page.goto(`${url}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#jobs').waitFor();
    return { page, requests };
  }

  beforeAll(async () => {
    requireBuild();
    fleet = await Fleet.create({ prefix: 'viewer', models: MODELS, regions: Object.fromEntries(REGIONS.map((r) => [r, {}])), seed: 42 });
    fleet.config.auth = securedConfig().auth;
    url = (await fleet.startInProcess()).url;
    const res = await fetch(`${url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.operator.secret}` },
      body: DEMO_SPEC,
    });
    expect(res.status).toBe(201);
    demoId = ((await res.json()) as { id: string }).id;
    await fleet.waitForJob(demoId, 120_000);
    if (existsSync(CHROMIUM) || process.env.CI === 'true') {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-sync'],
      });
    }
    await mkdir(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await fleet?.close();
  });

  it('serves the built page and its files at / with a strict CSP, and nothing from the source tree', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toBe(await readFile(path.join(repoRoot, 'dist', 'viewer', 'index.html'), 'utf8'));
    // No inline script: every script is a file of this origin.
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script type="module" src="/viewer/main.js">']);
    const main = await fetch(`${url}/viewer/main.js`);
    expect(main.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await main.text()).toBe(await readFile(path.join(repoRoot, 'dist', 'viewer', 'main.js'), 'utf8'));
    // Only the built files: no TypeScript source, no path outside the folder.
    expect((await fetch(`${url}/viewer/main.ts`)).status).toBe(404);
    expect((await fetch(`${url}/viewer/..%2Fpackage.json`)).status).toBe(404);
    // A name re-pointed at this daemon (DNS rebinding) gets nothing, not even the page.
    const rebound = await new Promise<number>((resolve, reject) => {
      const u = new URL(url);
      http
        .get({ host: u.hostname, port: u.port, path: '/', headers: { host: 'evil.example' }, setHost: false, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on('error', reject);
    });
    expect(rebound).toBe(421);
    // The page holds no data: the API behind it still wants a token.

    expect((await fetch(`${url}/api/v1/jobs`)).status).toBe(401);
    // A page on another site can neither read nor act through the API.
    const foreign = await fetch(`${url}/api/v1/jobs/${demoId}/cancel`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', authorization: `Bearer ${TOKENS.operator.secret}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(foreign.status).toBe(403);
  });

  it('GET /api/v1/whoami names the token and its role, and the job actions this daemon serves', async () => {
    const res = await fetch(`${url}/api/v1/whoami`, { headers: { authorization: `Bearer ${TOKENS.viewer.secret}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { name: string; role: string; jobActions: string[] };
    expect(body).toMatchObject({ name: TOKENS.viewer.name, role: 'viewer', kind: 'token' });
    expect(body.jobActions).toContain('cancel');
  });

  it('downloads each report format exactly as `beacon report` renders it', async () => {
    for (const format of ['md', 'json', 'csv', 'html']) {
      const cli = await runCli(['report', demoId, '--format', format], {
        env: cliEnv({ BEACON_API_URL: url, BEACON_TOKEN: TOKENS.viewer.secret }),
      });
      expect(cli.code).toBe(0);
      const res = await fetch(`${url}/api/v1/jobs/${demoId}/report?format=${format}`, {
        headers: { authorization: `Bearer ${TOKENS.viewer.secret}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${demoId}.${format}"`);
      expect(await res.text()).toBe(cli.stdout);
    }
    const bad = await fetch(`${url}/api/v1/jobs/${demoId}/report?format=pdf`, {
      headers: { authorization: `Bearer ${TOKENS.viewer.secret}` },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).problems[0].path).toBe('format');
  });

  withBrowser("shows the demo job's matrix with the labels of `beacon report --format json`, without a token in any URL", async () => {
    const report = await runCli(['report', demoId, '--format', 'json'], {
      env: cliEnv({ BEACON_API_URL: url, BEACON_TOKEN: TOKENS.viewer.secret }),
    });
    expect(report.code).toBe(0);
    const analysis = JSON.parse(report.stdout) as {
      pairs: {
        questionId: string;
        modelId: string;
        labelAgreement: number | null;
        regions: { region: string; majority: string | null }[];
      }[];
      refusalMatrix: { modelId: string; region: string; refusal: { count: number; of: number } }[];
    };
    const { page, requests } = await signedIn(TOKENS.viewer.secret);
    await page.locator(`#jobs a[href="#/jobs/${demoId}"]`).click();
    await page.locator('#matrix [role="cell"][data-label]').first().waitFor();
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#matrix .matrix-row[data-question]').length === 8);
    const shown = await page.$$eval('#matrix [role="cell"]', (cells) =>
      cells.map((c) => ({
        question: c.closest('[data-question]')!.getAttribute('data-question'),
        model: c.getAttribute('data-model'),
        region: c.getAttribute('data-region'),
        label: c.getAttribute('data-label') || null,
      })),
    );
    const expected = analysis.pairs.flatMap((p) =>
      p.regions.map((r) => ({ question: p.questionId, model: p.modelId, region: r.region, label: r.majority })),
    );
    const key = (c: { question: string | null; model: string | null; region: string | null }) => `${c.question}|${c.model}|${c.region}`;
    expect(shown).toHaveLength(8 * 9);
    expect(new Map(shown.map((c) => [key(c), c.label]))).toEqual(new Map(expected.map((c) => [key(c), c.label])));
    // Some of each: the comparison is not between two empty matrices.
    expect(shown.filter((c) => c.label === 'refused').length).toBeGreaterThan(0);
    expect(shown.filter((c) => c.label === 'answered').length).toBeGreaterThan(0);
    // Refusal rates and divergence from the analysis are on the page.
    await page.locator('#refusals tbody tr').first().waitFor();
    expect(await page.locator('#refusals tbody tr').count()).toBe(9);
    expect(await page.locator('#divergence tbody tr').count()).toBe(24);
    // The summary's numbers are the analysis' own: refusals per (model, region), and label divergence per pair as
    // one minus the analysis' label agreement between regions.
    const refusals = await page.$$eval('#refusals tbody tr', (rows) =>
      rows.map((r): [string, string | null] => [
        `${r.getAttribute('data-model')}|${r.getAttribute('data-region')}`,
        r.children[2]!.textContent,
      ]),
    );
    expect(new Map(refusals)).toEqual(
      new Map(analysis.refusalMatrix.map((c) => [`${c.modelId}|${c.region}`, `${c.refusal.count}/${c.refusal.of}`])),
    );
    const summary = (await (
      await fetch(`${url}/api/v1/jobs/${demoId}/summary?limit=500`, { headers: { authorization: `Bearer ${TOKENS.viewer.secret}` } })
    ).json()) as { divergence: { items: { questionId: string; modelId: string; disagreement: number | null }[] } };
    for (const p of analysis.pairs) {
      const s = summary.divergence.items.find((i) => i.questionId === p.questionId && i.modelId === p.modelId)!;
      if (p.labelAgreement === null) expect(s.disagreement).toBeNull();
      else expect(s.disagreement).toBeCloseTo(1 - p.labelAgreement, 9);
    }
    // The full analysis is there on demand.
    expect(requests.some((u) => u.includes('/analysis'))).toBe(false);
    await page.locator('#full-analysis').click();
    await page.locator('#divergence-full tbody tr').first().waitFor({ timeout: 60_000 });
    expect(await page.locator('#divergence-full tbody tr').count()).toBe(24);
    expect(page.url()).toBe(`${url}/#/jobs/${demoId}`);
    expect(requests.every((u) => u.startsWith(`${url}/`) || u.startsWith('blob:'))).toBe(true);
    expect(requests.some((u) => u.includes(TOKENS.viewer.secret) || u.includes('bct_'))).toBe(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'job-1280-view.png') });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: path.join(ARTIFACTS, `job-${width}.png`), fullPage: true });
    }
  });

  withBrowser('shows a cell with each attempt, its prompts and response, and a word diff against another region', async () => {
    const { page } = await signedIn(TOKENS.viewer.secret);
    await page.goto(`${url}/#/jobs/${demoId}`);
    const cell = page.locator(
      '#matrix .matrix-row[data-question="tiananmen_neutral"] [data-model="qwen2.5-1.5b"][data-region="asia-pacific"] a',
    );
    await cell.click();
    await page.locator('#attempts').waitFor();
    const execId = page.url().split('/').pop()!;
    const detail = (await (
      await fetch(`${url}/api/v1/executions/${execId}`, { headers: { authorization: `Bearer ${TOKENS.viewer.secret}` } })
    ).json()) as { response: string; attemptsLog: { attempt: number; outcome: string; userPrompt: string }[]; region: string };
    expect(detail.region).toBe('asia-pacific');
    expect(await page.locator('#attempts > li').count()).toBe(detail.attemptsLog.length);
    expect(await page.locator('#attempts > li').first().getAttribute('data-outcome')).toBe(detail.attemptsLog[0]!.outcome);
    expect(await page.locator('#cell-response').textContent()).toBe(detail.response);
    await page.locator('#attempts > li summary').first().click();
    expect(await page.locator('#attempts > li').first().locator('pre[data-part="user-prompt"]').textContent()).toBe(
      detail.attemptsLog[0]!.userPrompt,
    );
    await page.locator('#diff-with').selectOption({ label: 'us-east (replicate 0)' });
    await page.getByRole('button', { name: 'Show the diff' }).click();
    await page.locator('#diff [data-field="response"]').waitFor();
    expect(page.url()).toMatch(/\?diff=\d+$/);
    expect(await page.locator('#diff [data-field="response"] :is(ins, del)').count()).toBeGreaterThan(0);
    // The shared link shows the same diff in a new tab.
    // The shared link shows the same diff in another tab, once its reader signs in (a token is per tab, never in the link).
    const again = await page.context().newPage();
    await again.goto(page.url());
    await again.getByLabel('API token').fill(TOKENS.viewer.secret);
    await again.getByRole('button', { name: 'Sign in' }).click();
    await again.locator('#diff [data-field="response"]').waitFor();
    expect(await again.locator('#diff [data-field="response"] :is(ins, del)').count()).toBe(
      await page.locator('#diff [data-field="response"] :is(ins, del)').count(),
    );
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: path.join(ARTIFACTS, `cell-${width}.png`), fullPage: true });
    }
  });

  withBrowser('moves through the matrix with the arrow keys, one cell in the tab order, and opens a cell with Enter', async () => {
    // 450 questions: more than one page of the virtual list, so the keyboard reaches rows not yet read.
    const questions = Array.from({ length: 450 }, (_, i) => ({ id: `k${String(i).padStart(3, '0')}`, text: `question ${i}` }));
    await plantJob(fleet, 'viewer-keys', questions, ['nowhere-a', 'nowhere-b', 'nowhere-c']);
    const { page } = await signedIn(TOKENS.viewer.secret);
    await page.goto(`${url}/#/jobs/viewer-keys`);
    await page.locator('#matrix .matrix-row[data-question="k000"] a').first().waitFor();
    /** Where the focus is: the cell's question and region, and how many matrix links are in the tab order. */
    const focused = () =>
      page.evaluate(() => {
        const doc = (globalThis as any).document;
        const a = doc.activeElement;
        return {
          question: a?.closest('[data-question]')?.getAttribute('data-question') ?? null,
          region: a?.closest('[data-region]')?.getAttribute('data-region') ?? null,
          tabStops: doc.querySelectorAll('#matrix a[tabindex="0"]').length,
          href: a?.getAttribute('href') ?? null,
        };
      });
    await page.locator('#matrix').focus();
    await page.keyboard.press('ArrowDown'); // from the scroll box: to the keyboard's cell, the first
    expect(await focused()).toMatchObject({ question: 'k000', region: 'nowhere-a', tabStops: 1 });
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight'); // stops at the last column
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    expect(await focused()).toMatchObject({ question: 'k001', region: 'nowhere-c', tabStops: 1 });
    await page.keyboard.press('Home');
    expect(await focused()).toMatchObject({ question: 'k001', region: 'nowhere-a' });
    await page.keyboard.press('Control+End'); // the last row: a page of the matrix not read yet
    await page.waitForFunction(
      () => (globalThis as any).document.activeElement?.closest('[data-question]')?.getAttribute('data-question') === 'k449',
    );
    expect(await focused()).toMatchObject({ question: 'k449', region: 'nowhere-c', tabStops: 1 });
    await page.keyboard.press('PageUp');
    const up = await focused();
    expect(Number(up.question!.slice(1))).toBeLessThan(449);
    expect(Number(up.question!.slice(1))).toBeGreaterThan(420);
    // Tab leaves the matrix: its cells are one stop, not 1,350.
    await page.keyboard.press('Tab');
    expect((await focused()).question).toBeNull();
    await page.keyboard.press('Shift+Tab');
    const back = await focused();
    expect(back.question).toBe(up.question);
    await page.keyboard.press('Enter');
    await page.locator('#attempts').waitFor({ state: 'attached' }); // a pending cell: no attempt yet
    expect(page.url()).toBe(`${url}/${back.href}`);
  });

  withBrowser('draws every row true to its own question wherever the matrix is scrolled (row elements are reused)', async () => {
    // 450 questions × 3 regions with labels that differ from row to row: a reused row element that kept any cell of the
    // question it showed before would disagree with the rows read here straight from the table.
    const questions = Array.from({ length: 450 }, (_, i) => ({ id: `r${String(i).padStart(3, '0')}`, text: `question ${i}` }));
    const regions = ['nowhere-a', 'nowhere-b', 'nowhere-c'];
    await plantJob(fleet, 'viewer-reuse', questions, regions);
    await fleet.ds.query(
      `UPDATE executions SET state = 'succeeded', result_attempt = 1, finished_at = now(), attempts = 1, response = 'x',
              classification = (ARRAY['answered','refused','partial','empty','filtered'])[1 + (hashtext(question_id || region) & 1023) % 5]
        WHERE job_id = 'viewer-reuse' AND (hashtext(region || question_id) & 7) <> 0`,
    );
    const expected = new Map<string, { label: string; href: string }>();
    for (const r of await queryRows<{ id: string; question_id: string; region: string; classification: string | null }>(
      fleet.ds,
      `SELECT id::text, question_id, region, classification FROM executions WHERE job_id = 'viewer-reuse'`,
    ))
      expected.set(`${r.question_id}|${r.region}`, { label: r.classification ?? '', href: `#/jobs/viewer-reuse/cells/${r.id}` });
    expect(new Set([...expected.values()].map((e) => e.label)).size).toBe(6); // five labels and still pending

    const { page } = await signedIn(TOKENS.viewer.secret);
    await page.goto(`${url}/#/jobs/viewer-reuse`);
    await page.locator('#matrix .matrix-row[data-question="r000"] a').first().waitFor();
    // Jumps far and steps near, down and up: rows leave the view and their elements come back as other questions. Row
    // 390 is first reached with the rows of two pages in view, neither read yet (both must be asked for).
    const height = 28;
    const positions = [40, 41, 45, 390, 200, 60, 449, 430, 0, 100, 101, 99, 300, 120, 5, 444];
    for (const row of positions) {
      await page.evaluate((top) => ((globalThis as any).document.getElementById('matrix').scrollTop = top), row * height);
      // Drawn once every row in view has its question's data (none is a placeholder any more).
      await page.waitForFunction(() => {
        const doc = (globalThis as any).document;
        const box = doc.getElementById('matrix');
        const rows = [...doc.querySelectorAll('#matrix .matrix-row')] as any[];
        const first = Math.floor(box.scrollTop / 28);
        const inView = rows.filter((r) => {
          const i = Number(r.getAttribute('aria-rowindex')) - 2;
          return i >= first && i < first + Math.floor(box.clientHeight / 28) - 2;
        });
        return inView.length > 0 && inView.every((r) => r.dataset.question !== undefined);
      });
      const drawn = await page.evaluate(() =>
        ([...(globalThis as any).document.querySelectorAll('#matrix .matrix-row[data-question]')] as any[]).map((r) => ({
          question: r.dataset.question as string,
          index: Number(r.getAttribute('aria-rowindex')) - 2,
          top: r.style.top as string,
          header: r.querySelector('[role="rowheader"]').textContent as string,
          cells: ([...r.querySelectorAll('[role="cell"]')] as any[]).map((c) => ({
            region: c.dataset.region as string,
            label: c.dataset.label as string,
            cls: c.className as string,
            href: c.querySelector('a')?.getAttribute('href') ?? null,
            text: c.textContent as string,
            aria: c.querySelector('a')?.getAttribute('aria-label') ?? null,
          })),
        })),
      );
      expect(drawn.length).toBeGreaterThan(10);
      expect(new Set(drawn.map((d) => d.index)).size).toBe(drawn.length); // no row drawn twice
      for (const d of drawn) {
        expect(d.question).toBe(questions[d.index]!.id);
        expect(d.header).toBe(d.question);
        expect(d.top).toBe(`${d.index * height}px`);
        expect(d.cells.map((c) => c.region)).toEqual(regions);
        for (const c of d.cells) {
          const want = expected.get(`${d.question}|${c.region}`)!;
          expect({ q: d.question, r: c.region, label: c.label, href: c.href }).toEqual({
            q: d.question,
            r: c.region,
            label: want.label,
            href: want.href,
          });
          expect(c.cls).toBe(`cell label-${want.label || 'none'}`);
          expect(c.text).toBe(want.label || 'pending');
          expect(c.aria).toBe(`${d.question}, llama3.2-1b, ${c.region}: ${want.label || 'pending'}`);
        }
      }
    }
  });

  withBrowser('updates a running job’s progress live, and shows the cancel action to an operator only', async () => {
    await plantJob(
      fleet,
      'viewer-live',
      Array.from({ length: 4 }, (_, i) => ({ id: `q${i + 1}`, text: `question ${i + 1}` })),
      ['nowhere-a', 'nowhere-b'],
    );
    const viewer = await signedIn(TOKENS.viewer.secret);
    await viewer.page.goto(`${url}/#/jobs/viewer-live`);
    await viewer.page.locator('#job-progress .progress[data-done="0"]').waitFor();
    expect(await viewer.page.locator('#job-actions button').count()).toBe(0);

    const operator = await signedIn(TOKENS.operator.secret);
    await operator.page.goto(`${url}/#/jobs/viewer-live`);
    await operator.page.locator('#job-progress .progress').waitFor();
    await operator.page.locator('button[data-action="cancel"]').waitFor();

    // The page follows the database, without a reload: each change shows as the job's finished cells of that moment.
    const showsDone = () =>
      waitFor(
        'the page to show the finished cells',
        async () => {
          const [row] = await fleet.ds.query(
            `SELECT count(*) FILTER (WHERE state IN ('succeeded','failed','cancelled'))::int AS n FROM executions WHERE job_id = 'viewer-live'`,
          );
          const shown = await viewer.page.locator('#job-progress .progress').getAttribute('data-done');
          return shown === String(row.n) ? row.n : null;
        },
        20_000,
        () => JSON.stringify(viewer.requests.slice(-30)),
      );
    await finishCells(fleet, 'viewer-live', 3, 'answered', 'fine');
    expect(await showsDone()).toBeGreaterThanOrEqual(3);
    await viewer.page.locator('#matrix [data-question="q1"] [data-region="nowhere-a"][data-label="answered"]').waitFor();
    await finishCells(fleet, 'viewer-live', 2, 'refused', 'no');
    expect(await showsDone()).toBeGreaterThanOrEqual(5);
    await viewer.page.locator('#matrix [role="cell"][data-label="refused"]').first().waitFor();
    // A viewer never sees an action, even with the job live.
    expect(await viewer.page.locator('#job-actions button').count()).toBe(0);

    // The operator's cancel asks first; "No" changes nothing.
    await operator.page.locator('button[data-action="cancel"]').click();
    await operator.page.locator('dialog[open] button[data-confirm="no"]').click();
    const [row1] = await fleet.ds.query(`SELECT status FROM jobs WHERE id = 'viewer-live'`);
    expect(row1.status).toBe('running');
    await operator.page.locator('button[data-action="cancel"]').click();
    await operator.page.locator('dialog[open] button[data-confirm="yes"]').click();
    await waitFor(
      'the job to be cancelled',
      async () => {
        const [row] = await fleet.ds.query(`SELECT status, cancel_requested_at FROM jobs WHERE id = 'viewer-live'`);
        return row.cancel_requested_at !== null;
      },
      15_000,
    );
    const pending = await fleet.ds.query(`SELECT count(*)::int AS n FROM executions WHERE job_id = 'viewer-live' AND state = 'pending'`);
    expect(pending[0].n).toBe(0);
    const audit = await waitFor(
      'the cancel to be audited',
      async () => {
        const rows = await fleet.ds.query(`SELECT principal, status FROM audit_log WHERE path = '/api/v1/jobs/viewer-live/cancel'`);
        return rows.length ? rows : null;
      },
      15_000,
    );
    expect(audit).toEqual([{ principal: TOKENS.operator.name, status: 200 }]);
  });

  withBrowser(
    'pauses, resumes and re-runs failed cells from the job page for an operator, through the API, audited; a viewer sees none of it',
    async () => {
      const questions = Array.from({ length: 3 }, (_, i) => ({ id: `q${i + 1}`, text: `question ${i + 1}` }));
      await plantJob(fleet, 'viewer-ops', questions, ['nowhere-a', 'nowhere-b']);
      const operator = await signedIn(TOKENS.operator.secret);
      const viewer = await signedIn(TOKENS.viewer.secret);
      const pausedAt = async () => (await fleet.ds.query(`SELECT paused_at FROM jobs WHERE id = 'viewer-ops'`))[0].paused_at;
      const confirm = async (action: string) => {
        await operator.page.locator(`button[data-action="${action}"]`).click();
        await operator.page.locator('dialog[open] button[data-confirm="yes"]').click();
      };

      await operator.page.goto(`${url}/#/jobs/viewer-ops`);
      await operator.page.locator('button[data-action="pause"]').waitFor();
      expect(await operator.page.locator('button[data-action="resume"]').count()).toBe(0);
      await confirm('pause');
      await waitFor('the job to be paused', async () => ((await pausedAt()) !== null ? true : null), 15_000);
      // The page reads the job again: it says paused and offers resume, not pause.
      await operator.page.locator('button[data-action="resume"]').waitFor();
      expect(await operator.page.locator('#job-status').textContent()).toContain('(paused)');
      expect(await operator.page.locator('button[data-action="pause"]').count()).toBe(0);
      await viewer.page.goto(`${url}/#/jobs/viewer-ops`);
      await viewer.page.locator('#job-status').waitFor();
      expect(await viewer.page.locator('#job-actions button').count()).toBe(0);
      await confirm('resume');
      await waitFor('the job to be resumed', async () => ((await pausedAt()) === null ? true : null), 15_000);
      await operator.page.locator('button[data-action="pause"]').waitFor();

      // The job ends with two failed cells (as a faulty upstream leaves them): re-run them from the page.
      await finishCells(fleet, 'viewer-ops', 4, 'answered', 'fine');
      const failedIds = (
        await fleet.ds.query(
          `UPDATE executions SET state = 'failed', finished_at = now(), attempts = 1, last_error = '{"kind": "http", "status": 500}'::jsonb
          WHERE job_id = 'viewer-ops' AND state = 'pending' RETURNING id::text AS id`,
        )
      )[0].map((r: { id: string }) => r.id);
      expect(failedIds).toHaveLength(2);
      await fleet.ds.query(`UPDATE jobs SET status = 'partially_completed', finished_at = now() WHERE id = 'viewer-ops'`);
      await operator.page.reload();
      await operator.page.locator('button[data-action="retry"]').waitFor();
      await viewer.page.reload();
      await viewer.page.locator('#job-status').waitFor();
      expect(await viewer.page.locator('#job-actions button').count()).toBe(0);
      await confirm('retry');
      const states = await waitFor(
        'the failed cells to be queued again',
        async () => {
          const rows = await fleet.ds.query(
            `SELECT id::text AS id, state FROM executions WHERE job_id = 'viewer-ops' AND id = ANY($1::bigint[]) ORDER BY id`,
            [failedIds],
          );
          return rows.every((r: { state: string }) => r.state === 'pending') ? rows : null;
        },
        15_000,
      );
      expect(states).toHaveLength(2);
      const [job] = await fleet.ds.query(`SELECT status FROM jobs WHERE id = 'viewer-ops'`);
      expect(job.status).toBe('running');
      // The succeeded cells were left alone.
      const [done] = await fleet.ds.query(`SELECT count(*)::int AS n FROM executions WHERE job_id = 'viewer-ops' AND state = 'succeeded'`);
      expect(done.n).toBe(4);
      const audit = await waitFor(
        'the three actions to be audited',
        async () => {
          const rows = await fleet.ds.query(
            `SELECT path, principal, status FROM audit_log WHERE path LIKE '/api/v1/jobs/viewer-ops/%' ORDER BY id`,
          );
          return rows.length >= 3 ? rows : null;
        },
        15_000,
      );
      expect(audit).toEqual(
        ['pause', 'resume', 'retry'].map((a) => ({ path: `/api/v1/jobs/viewer-ops/${a}`, principal: TOKENS.operator.name, status: 200 })),
      );
    },
  );

  withBrowser('an answer read before a pause and delivered after it never draws the job unpaused again', async () => {
    await plantJob(
      fleet,
      'viewer-stale',
      Array.from({ length: 20 }, (_, i) => ({ id: `q${i + 1}`, text: `question ${i + 1}` })),
      ['nowhere-a'],
    );
    const operator = await signedIn(TOKENS.operator.secret);
    await operator.page.goto(`${url}/#/jobs/viewer-stale`);
    await operator.page.locator('button[data-action="pause"]').waitFor();

    // The next read of the job (the one a live event starts) is answered by the daemon now, before the pause, and
    // handed to the page only once the pause's own reload has been drawn: as a slow network would deliver it.
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    let held: Promise<void> | null = null;
    const delivered = new Promise<void>((resolveDelivered) => {
      void operator.page.route(
        (u) => u.pathname === '/api/v1/jobs/viewer-stale',
        async (route) => {
          if (held || route.request().method() !== 'GET') return route.fallback();
          held = (async () => {
            const response = await route.fetch();
            await released;
            await route.fulfill({ response });
            resolveDelivered();
          })();
          await held;
        },
      );
    });
    // A finished cell is an event, and the page reads the job again on it; until its event stream is connected an
    // event passes unseen, so a cell is finished every second until a read is held.
    await waitFor(
      'the live read to be held',
      async () => {
        if (held) return true;
        await finishCells(fleet, 'viewer-stale', 1, 'answered', 'fine');
        await new Promise((r) => setTimeout(r, 1000));
        return held ? true : null;
      },
      30_000,
    );

    await operator.page.locator('button[data-action="pause"]').click();
    await operator.page.locator('dialog[open] button[data-confirm="yes"]').click();
    await operator.page.locator('button[data-action="resume"]').waitFor();
    const late = operator.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/jobs/viewer-stale');
    release();
    await delivered;
    await (await late).finished();
    // The page has the late answer; its read and draw take a few tasks: a quiet moment, then look.
    await operator.page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 250))))');
    expect({
      resume: await operator.page.locator('button[data-action="resume"]').count(),
      pause: await operator.page.locator('button[data-action="pause"]').count(),
      status: await operator.page.locator('#job-status').textContent(),
    }).toEqual({ resume: 1, pause: 0, status: expect.stringContaining('(paused)') });
    await operator.page.unrouteAll({ behavior: 'ignoreErrors' });
  });

  withBrowser('shows stored markup as text: no script runs, no image loads, no javascript: link', async () => {
    await plantJob(fleet, 'viewer-xss', [{ id: 'q<img src=x onerror=alert(1)>', text: HOSTILE }], ['nowhere-a']);
    await finishCells(fleet, 'viewer-xss', 1, 'answered', HOSTILE);
    const { page, requests } = await signedIn(TOKENS.viewer.secret);
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${url}/#/jobs/viewer-xss`);
    const link = page.locator('#matrix [role="cell"] a').first();
    await link.waitFor();
    expect(await page.locator('#matrix [role="rowheader"]').first().textContent()).toBe('q<img src=x onerror=alert(1)>');
    await link.click();
    await page.locator('#cell-response').waitFor();
    expect(await page.locator('#cell-response').textContent()).toBe(HOSTILE);
    expect(await page.locator('main img, main script, main a[href^="javascript"]').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as any).__pwned)).toBeUndefined();
    expect(requests.some((u) => u.endsWith('/x'))).toBe(false);
    expect(violations).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'cell-hostile-1280.png'), fullPage: true });
  });

  withBrowser('renders a response in Chinese with a CJK font, not as boxes', async () => {
    const CHINESE = '天安门广场位于北京市中心，是世界上最大的城市广场之一。';
    await plantJob(fleet, 'viewer-cjk', [{ id: 'cjk', text: '天安门广场在哪里？' }], ['nowhere-a']);
    await finishCells(fleet, 'viewer-cjk', 1, 'answered', CHINESE);
    const { page } = await signedIn(TOKENS.viewer.secret);
    await page.goto(`${url}/#/jobs/viewer-cjk`);
    await page.locator('#matrix [role="cell"] a').first().click();
    await page.locator('#cell-response').waitFor();
    expect(await page.locator('#cell-response').textContent()).toBe(CHINESE);
    // The fonts Chromium drew the response with, as its DevTools protocol reports them: a CJK font drew every Chinese
    // character (without one, the glyphs come from a fallback's "missing glyph" box).
    const cdp = await page.context().newCDPSession(page);
    const { root } = await cdp.send('DOM.getDocument');
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '#cell-response' });
    await cdp.send('CSS.enable');
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    const cjk = fonts.filter((f) => /CJK|Han|Hei|Song|Ming|Gothic|WenQuanYi/i.test(f.familyName));
    expect(cjk.map((f) => f.familyName)).not.toEqual([]);
    expect(cjk.reduce((n, f) => n + f.glyphCount, 0)).toBeGreaterThanOrEqual([...CHINESE].length - 2);
    // And on the page's own font stack: two different characters draw two different shapes about one em wide, where
    // a missing font draws the same box for both.
    const drawn = await page.evaluate(() => {
      const doc = (globalThis as any).document;
      const el = doc.getElementById('cell-response');
      const style = (globalThis as any).getComputedStyle(el);
      const canvas = doc.createElement('canvas');
      canvas.width = 64;
      canvas.height = 64;
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      ctx.font = `32px ${style.fontFamily}`;
      const shape = (ch: string) => {
        ctx.clearRect(0, 0, 64, 64);
        ctx.fillText(ch, 8, 44);
        return Array.from(ctx.getImageData(0, 0, 64, 64).data as Uint8ClampedArray).join(',');
      };
      return { differ: shape('天') !== shape('地'), width: ctx.measureText('天').width, inked: shape('天') !== shape(' ') };
    });
    expect(drawn).toMatchObject({ differ: true, inked: true });
    expect(drawn.width).toBeGreaterThan(32 * 0.9);
    expect(drawn.width).toBeLessThan(32 * 1.1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'cell-chinese-1280.png'), fullPage: true });
  });

  withBrowser('passes axe-core with no serious or critical violation on every page, in both themes', async () => {
    const pages = ['#/jobs', `#/jobs/${demoId}`, `#/jobs?status=completed`, '#/findings', `#/compare?a=${demoId}&b=viewer-xss`, '#/trends'];
    const anonymous = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(anonymous);
    const signIn = await anonymous.newPage();
    await signIn.goto(`${url}/`);
    await signIn.getByLabel('API token').waitFor();
    const failures: Record<string, unknown> = {};
    const signInViolations = await axeViolations(signIn);
    if (signInViolations.length) failures['sign-in'] = signInViolations;
    for (const theme of ['light', 'dark'] as const) {
      const { page } = await signedIn(TOKENS.operator.secret, 1280, theme);
      for (const hash of pages) {
        await page.goto(`${url}/${hash}`);
        await page.locator('main h1').waitFor();
        await page.waitForFunction(() => !(globalThis as any).document.querySelector('main .loading'));
        const v = await axeViolations(page);
        if (v.length) failures[`${theme} ${hash}`] = v;
      }
      const cell = page.locator('#matrix [role="cell"] a').first();
      await page.goto(`${url}/#/jobs/${demoId}`);
      await cell.click();
      await page.locator('#attempts').waitFor();
      const v = await axeViolations(page);
      if (v.length) failures[`${theme} cell`] = v;
      if (theme === 'dark') await page.screenshot({ path: path.join(ARTIFACTS, 'cell-dark-1280.png'), fullPage: true });
    }
    expect(failures).toEqual({});
  });

  withBrowser('lists jobs with stable filter URLs, and keeps screenshots at 1280 and 390 pixels', async () => {
    const { page, requests } = await signedIn(TOKENS.viewer.secret);
    await page.locator(`#jobs tr[data-job="${demoId}"]`).waitFor();
    await page.locator('#f-status').selectOption('completed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=completed/);
    await page
      .locator('#jobs-count')
      .filter({ hasText: /^\d+ jobs?$/ })
      .waitFor();
    await page.waitForFunction(() =>
      [...(globalThis as any).document.querySelectorAll('#jobs td.job-status')].every((td: any) => td.textContent === 'completed'),
    );
    const [{ n }] = await fleet.ds.query(`SELECT count(*)::int AS n FROM jobs WHERE status = 'completed'`);
    const ids = await page.$$eval('#jobs tbody tr', (rows) => rows.map((r) => r.getAttribute('data-job')));
    expect(ids).toContain(demoId);
    expect(ids).toHaveLength(n);
    // The API filters: the page asks for completed jobs only.
    expect(requests.some((u) => /\/api\/v1\/jobs\?.*status=completed/.test(u))).toBe(true);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: path.join(ARTIFACTS, `jobs-${width}.png`), fullPage: true });
    }
  });
});
