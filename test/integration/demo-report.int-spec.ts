import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium } from 'playwright-core';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Locally a missing browser skips the rendering check; in CI (which installs chromium) it fails the run.
const withBrowser = existsSync(CHROMIUM) || process.env.CI === 'true' ? it : it.skip;

/** `beacon demo` ends by writing one self-contained HTML report, which renders in headless Chromium. */
describe('beacon demo report', () => {
  let dir: string;
  let reportPath: string;
  let demo: { rows: { questionId: string; cells: string[] }[] };

  beforeAll(async () => {
    requireBuild();
    dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-demo-report-'));
    const r = await runCli(['demo', '--json'], { env: cliEnv({ DATABASE_URL: undefined, BEACON_DATA_DIR: path.join(dir, 'data') }) });
    expect(r.code).toBe(0);
    demo = JSON.parse(r.stdout);
    reportPath = JSON.parse(r.stdout).reportPath;
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the report under the data directory and prints its path', async () => {
    expect(reportPath).toBe(path.join(dir, 'data', 'reports', 'bias-detection-1759245498941.html'));
    expect(demo.rows).toHaveLength(8);
    const html = await readFile(reportPath, 'utf8');
    expect(html).not.toMatch(/<script|<link|https?:\/\//i);
    expect(html).toContain('I&#39;m sorry, but I can&#39;t assist with that.');
    expect(html).toContain('answered in us-east; partial in eu-west; refused in asia-pacific');
  });

  withBrowser('renders in headless Chromium with the heatmap, the charts and the side-by-side answers, offline', async () => {
    const profile = await mkdtemp(path.join(os.tmpdir(), 'beacon-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await context.newPage();
      const requested: string[] = [];
      page.on('request', (req) => requested.push(req.url()));
      await page.goto(pathToFileURL(reportPath).href, { waitUntil: 'load' });

      expect(await page.title()).toBe('Beacon report: bias-detection-1759245498941');
      const heatmap = page.locator('svg#refusal-heatmap');
      const box = await heatmap.boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      expect(box!.height).toBeGreaterThan(100);
      expect(await heatmap.locator('rect.heat-cell').count()).toBe(3 * 3);
      expect(await heatmap.locator('rect.heat-cell[data-region="asia-pacific"][data-model="qwen2.5-1.5b"]').getAttribute('data-rate')).toBe(
        '0.25',
      );
      expect(await heatmap.locator('rect.heat-cell[data-region="us-east"][data-model="qwen2.5-1.5b"]').getAttribute('data-rate')).toBe('0');
      expect(await page.locator('svg.question-chart').count()).toBe(8);

      const top = page.locator('article.pair').first();
      expect(await top.getAttribute('data-question')).toBe('tiananmen_neutral');
      expect(await top.getAttribute('data-model')).toBe('qwen2.5-1.5b');
      expect(await top.locator('.answer[data-region="asia-pacific"] .badge').innerText()).toBe('refused');
      expect(await top.locator('.answer[data-region="us-east"] .badge').innerText()).toBe('answered');
      expect(await top.locator('.answer[data-region="asia-pacific"] .text').innerText()).toBe("I'm sorry, but I can't assist with that.");

      const shot = await page.screenshot({ fullPage: true });
      expect(shot.length).toBeGreaterThan(50_000);
      expect(requested.every((u) => u.startsWith('file:') || u.startsWith('data:'))).toBe(true);
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    }
  });
});
