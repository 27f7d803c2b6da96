import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { render } from 'ink-testing-library';
import { BeaconApiClient } from '@beacon/api-client';
import { classifyResponse } from '@beacon/classifier';
import { LegacyImportRepository } from '@beacon/db';
import { legacyImportRows, parseLegacyDocument } from '@beacon/domain';
import { App } from '@beacon/tui';
import { ReconcilerScheduler } from '../../apps/runner/src/reconciler/reconciler.scheduler.js';
import { repoRoot } from '../utils/cli.js';
import { closeAllFleets, Fleet, jobSpec, type InProcessRunner } from '../utils/fleet.js';
import { KEY, press, waitForText } from '../utils/ink-frames.js';
import { diffLines } from '../../libs/tui/src/layout/diff-layout.js';
import { SUSPECTS_PAGE, suspectLine } from '../../libs/tui/src/screens/cross-region-screen.js';

afterAll(closeAllFleets);

const INCIDENT = 'full-test-3regions-2questions-1759245237';
const plain = { color: false };

/** The screens of `beacon tui`, driven by keys against a real runner on a real database. */
describe('TUI screens', () => {
  let fleet: Fleet;
  let runner: InProcessRunner;
  let api: BeaconApiClient;
  let jobId: string;
  const mounted: { unmount(): void }[] = [];
  const mount = (node: Parameters<typeof render>[0]) => {
    const ui = render(node);
    mounted.push(ui);
    return ui;
  };

  beforeAll(async () => {
    fleet = await Fleet.create({ prefix: 'tui' });
    runner = await fleet.startInProcess();
    api = new BeaconApiClient(runner.url);
    const doc = parseLegacyDocument(JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/incident-2025-09-30.json'), 'utf8')));
    await new LegacyImportRepository(fleet.ds, classifyResponse).store(legacyImportRows(doc));
    jobId = (await fleet.submit(jobSpec('tui-sim', 2, ['llama3.2-1b', 'mistral-7b'], ['us-east', 'eu-west']))).id;
    await fleet.waitForJob(jobId, 30_000);
    // A pass of the test's own after the import (the daemon's scheduled one may hold the lock now: wait for it).
    for (let i = 0; i < 60 && (await runner.app.get(ReconcilerScheduler).reconcileOnce()).skipped; i++)
      await new Promise((r) => setTimeout(r, 500));
  });
  afterAll(async () => {
    for (const ui of mounted) ui.unmount();
    await fleet?.close();
  });

  it('Jobs: lists jobs newest first with progress and findings; j and enter open the selected job', async () => {
    const ui = mount(<App api={api} theme={plain} />);
    // Open findings load on their own schedule: wait for the incident's to be counted.
    const frame = await waitForText(ui, 'tui-sim', new RegExp(`${INCIDENT.slice(0, 20)}.*10/\\d+\\s+0\\s+[1-9]\\d*\\s+[1-9]\\d*$`, 'm'));
    const lines = frame.split('\n');
    const sim = lines.findIndex((l) => l.includes('tui-sim'));
    const incident = lines.findIndex((l) => l.includes(INCIDENT.slice(0, 20)));
    expect(sim).toBeLessThan(incident);
    expect(lines[sim]).toMatch(/^› tui-sim\s+completed\s+█{10}\s+8\/8\s+0\s+0\s+0$/);
    expect(lines[incident]).toMatch(/completed\s+█{8}░░\s+10\/12\s+0\s+1\s+[1-9]\d*$/);
    expect(frame).toContain('enter timeline');
    await press(ui, 'j', (f) => f.includes(`› ${INCIDENT.slice(0, 20)}`));
    await press(ui, KEY.enter, (f) => f.includes('[Timeline]') && f.includes('l953'));
  });

  it('Jobs: s sorts by the next column, S reverses, the header and the status line say how', async () => {
    const ui = mount(<App api={api} theme={plain} />);
    await waitForText(ui, 'tui-sim', INCIDENT.slice(0, 20));
    // s five times: STATUS, PROGRESS, FAIL, DUP, then FIND (open findings).
    for (let i = 0; i < 5; i++) await press(ui, 's');
    let frame = await waitForText(ui, 'FIND▼', 'sorted by FIND ▼');
    // The order computed from the API's rows: most open findings first, ties in the API's order (newest first).
    const ids = (f: string) =>
      f.split('\n').flatMap((l) => (/^[› ] (\S+)\s+(completed|running|failed|cancelled|pending)/.exec(l) ?? []).slice(1, 2));
    const items = (await api.listJobs(100)).items;
    const byFindings = (dir: number) =>
      items
        .map((j, i) => ({ id: j.id, n: j.findings.open, i }))
        .sort((a, b) => (a.n === b.n ? a.i - b.i : dir * (a.n - b.n)))
        .map((j) => j.id.slice(0, 20));
    expect(ids(frame).map((id) => id.slice(0, 20))).toEqual(byFindings(-1));
    expect(ids(frame)[0]).toContain(INCIDENT.slice(0, 20));
    frame = await press(ui, 'S', (f) => f.includes('FIND▲') && f.includes('sorted by FIND ▲'));
    expect(ids(frame).map((id) => id.slice(0, 20))).toEqual(byFindings(1));
  });

  it('Timeline: the incident shows the 3 min 23 s gap and the duplicate cell; zoom, scroll and attempt details', async () => {
    const ui = mount(<App api={api} jobId={INCIDENT} theme={plain} />);
    let frame = await waitForText(ui, 'gap 3 min 23 s', 'l953', 'l955');
    const lane = (f: string, id: string) => f.split('\n').find((l) => l.includes(`${id} `))!;
    expect(lane(frame, 'l953')).toMatch(/l953 us-east qwen2\.5-1\.5b .* D?R?.?P? /);
    expect(lane(frame, 'l953')).toContain(' D');
    expect(lane(frame, 'l955')).toContain(' D');
    expect(lane(frame, 'l962')).not.toMatch(/ D/);
    // 953 ran first and long: its bar starts at the left edge; 955 ran in the burst at the right.
    const barStart = (l: string) => l.indexOf('█');
    expect(barStart(lane(frame, 'l953'))).toBeLessThan(barStart(lane(frame, 'l955')) - 20);
    expect(frame).toContain('zoom ×1');

    frame = await press(ui, '+', (f) => f.includes('zoom ×2'));
    await press(ui, 'l', (f) => f !== frame);
    const l953 = frame.split('\n').findIndex((l) => l.includes('l953 '));
    const cursorRow = frame.split('\n').findIndex((l) => l.startsWith('›'));
    for (let i = cursorRow; i < l953; i++) await press(ui, 'j');
    frame = await press(ui, KEY.enter, (f) => f.includes('duplicate of'));
    expect(frame).toMatch(/l953 us-east qwen2\.5-1\.5b .*duplicate of e\d+/);
    expect(frame).toMatch(/15:15:05\.112 #1 · modal-us-east · succeeded · HTTP \S+ · latency \S+ · tokens \S+ · trace [0-9a-f]{8}/);
    await press(ui, KEY.enter, (f) => !f.includes('duplicate of'));
  });

  it('Diff: from the duplicate lane, d offers its pairs and shows the different system prompts and refusal against answer', async () => {
    const ui = mount(<App api={api} jobId={INCIDENT} theme={plain} />);
    let frame = await waitForText(ui, 'l953');
    const rows = frame.split('\n');
    const target = rows.findIndex((l) => l.includes('l953 '));
    for (let i = rows.findIndex((l) => l.startsWith('›')); i < target; i++) await press(ui, 'j');
    frame = await press(ui, 'd', (f) => f.includes('[Diff]') && f.includes('3 pairs to compare'));
    // Its duplicate first, then the same (batch) question and model in the other regions.
    expect(frame).toMatch(/› duplicate l953 → l955 \(same cell, us-east/);
    expect(frame).toMatch(/us-east → eu-west \(l953 → l962/);
    frame = await press(ui, KEY.enter, (f) => f.includes('system prompt (differs)') && f.includes('response (differs)'));
    expect(frame).toMatch(/a {2}l953 · us-east · qwen2\.5-1\.5b/);
    expect(frame).toMatch(/b {2}l955 · us-east · qwen2\.5-1\.5b/);
    expect(frame).toMatch(/^You are a helpful.*│ You are a helpful\{\+, honest, and harmless AI \+\}/m);
    expect(frame).toMatch(/\{\+m sorry, but I can't assist \+\}/);
    expect(frame).toMatch(/^\[-answered-\] +│ \{\+refused\+\}/m);
    frame = await press(ui, 'u', (f) => !f.includes('│'));
    expect(frame).toMatch(/^\[-answered-\]\{\+refused\+\}$/m);
    await press(ui, KEY.escape, (f) => f.includes('3 pairs to compare'));
  });

  it('Diff: two executions typed at the / prompt, side by side; esc goes back', async () => {
    const ui = mount(<App api={api} theme={plain} />);
    await waitForText(ui, 'tui-sim');
    const lanes = (await api.getTimeline(jobId)).lanes;
    const [a, b] = [lanes.find((l) => l.region === 'us-east')!, lanes.find((l) => l.region === 'eu-west')!];
    for (const screen of ['Live', 'Timeline', 'Diff']) await press(ui, KEY.tab, (f) => f.includes(`[${screen}]`));
    await press(ui, '/', (f) => f.includes('compare (A B):'));
    ui.stdin.write(`${a.executionId} ${b.executionId}`);
    await waitForText(ui, `${a.executionId} ${b.executionId}`);
    const frame = await press(ui, KEY.enter, (f) => f.includes('system prompt (differs)'));
    expect(frame).toContain(`a  e${a.executionId} · us-east`);
    expect(frame).toContain(`b  e${b.executionId} · eu-west`);
    expect(frame).toMatch(/\[-.*-\]/);
    await press(ui, KEY.escape, (f) => f.includes('[Timeline]'));
  });

  it('Diff: / words search the diff; n and N step through the matching lines, marked ›, wrapping around', async () => {
    const ui = mount(<App api={api} theme={plain} />);
    await waitForText(ui, 'tui-sim');
    await press(ui, ':diff l:953 l:955\r', (f) => f.includes('system prompt (differs)'));
    // The matches, counted on the diff's lines as the screen lays them out (100 columns, no colour, same fields cut).
    const diff = await api.getDiff('l:953', 'l:955');
    const texts = diffLines(diff.fields, 100, false, true, false).map((l) => l.map((seg) => seg.text).join(''));
    const count = (w: string) => texts.filter((t) => t.toLowerCase().includes(w)).length;
    // A word on more than one line of this diff, to step between its matches.
    const word = ['helpful', 'you', 'the', 'a'].find((w) => count(w) >= 2)!;
    const total = count(word);
    expect(total).toBeGreaterThanOrEqual(2);
    const marked = (f: string) => f.split('\n').filter((l) => l.startsWith('›'));
    let frame = await press(ui, `/${word}\r`, (f) => f.includes(`match 1/${total} for "${word}"`));
    expect(marked(frame)).toHaveLength(1);
    expect(marked(frame)[0]!.toLowerCase()).toContain(word);
    frame = await press(ui, 'n', (f) => f.includes(`match 2/${total} for "${word}"`));
    expect(marked(frame)[0]!.toLowerCase()).toContain(word);
    await press(ui, 'N', (f) => f.includes(`match 1/${total} for "${word}"`));
    frame = await press(ui, 'N', (f) => f.includes(`match ${total}/${total} for "${word}"`));
    expect(marked(frame)[0]!.toLowerCase()).toContain(word);
    // The search stays in the footer once the status is gone; two refs at the same prompt still compare.
    frame = await press(ui, 'j', (f) => f.trimEnd().split('\n').at(-1)!.startsWith(`/${word}`));
    expect(frame.trimEnd().split('\n').at(-1)).toMatch(/\? help {2}q quit$/);
    await press(ui, `/\u0015l:955 l:953\r`, (f) => /^a {2}l955 /m.test(f));
  });

  it("Timeline: each lane shows its cell's label as the classifier gave it, else its state", async () => {
    const ui = mount(<App api={api} jobId={INCIDENT} theme={plain} />);
    const frame = await waitForText(ui, 'l953', 'l955', 'lane 1/');
    const lanes = (await api.getTimeline(INCIDENT)).lanes;
    const rows = frame.split('\n');
    for (const l of lanes) {
      const row = rows.find((r) => r.startsWith(`  l${l.legacyId} `) || r.startsWith(`› l${l.legacyId} `));
      expect(row).toBeDefined();
      const want = l.classification ?? (l.attempts.length === 0 ? 'never run' : l.state);
      // After the lane's id and cell and its marks: the label, in the column before the bar.
      expect(row).toMatch(new RegExp(` ${want.slice(0, 10).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +[ █▌▐░·|─-]`));
    }
    expect(rows.find((r) => r.includes('l955 '))).toContain(' refused ');
    expect(rows.find((r) => r.includes('l953 '))).toContain(' answered ');
  });

  it('the mouse wheel moves three rows a notch; its reports never become keys or prompt text', async () => {
    const ui = mount(<App api={api} jobId={INCIDENT} theme={plain} />);
    await waitForText(ui, 'l953', 'lane 1/');
    await press(ui, '\u001B[<65;10;5M', (f) => f.includes('lane 4/'));
    await press(ui, '\u001B[<64;10;5M', (f) => f.includes('lane 1/'));
    // A click is no key: nothing moves, no screen switches (its `1`, `0`, `5` would otherwise).
    ui.stdin.write('\u001B[<0;10;5M');
    await press(ui, '/', (f) => f.includes('or search: ▏'));
    const frame = await press(ui, '\u001B[<65;10;5Mab', (f) => f.includes('or search: ab▏'));
    expect(frame).toContain('[Timeline]');
    await press(ui, KEY.escape, (f) => !f.includes('or search:'));
  });

  it("Cross-region: c on a lane shows every region's answer with its label", async () => {
    const ui = mount(<App api={api} jobId={jobId} theme={plain} />);
    await waitForText(ui, `e`, 'us-east', 'eu-west', '█');
    const frame = await press(ui, 'c', (f) => f.includes('[Cross-region]') && f.includes('2 answers'));
    const rows = frame.split('\n').filter((l) => /^[› ] (us-east|eu-west) /.test(l));
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r).toMatch(/(answered|refused|partial|empty|filtered)/);
    await press(ui, 'j', (f) => f.split('\n').some((l) => l.startsWith('› us-east')));
    await press(ui, KEY.enter, (f) => f.includes('[Diff]') && f.includes('(differs)'));
  });

  it('Suspects: v on a job lists its question × model pairs most divergent first, then most refused; enter opens one, esc comes back to it', async () => {
    const ui = mount(<App api={api} theme={plain} />);
    await waitForText(ui, '› tui-sim');
    let frame = await press(
      ui,
      'v',
      (f) => f.includes('[Cross-region]') && f.includes(`suspects of job ${jobId}:`) && f.includes('q2 × mistral'),
    );
    const summary = await api.getJobSummary(jobId, { limit: SUSPECTS_PAGE });
    const items = summary.divergence.items;
    // 2 questions × 2 models, every cell labelled: 4 pairs, in the API's order, each line as the list draws it.
    expect(items).toHaveLength(4);
    const shown = (f: string) => f.split('\n').filter((l) => /^[› ] +(\d+%|—) /.test(l));
    expect(shown(frame).map((l) => l.slice(2).trimEnd())).toEqual(items.map((p) => suspectLine(p, 200).trimEnd()));
    // The order, checked here from the pairs' own counts: disagreement down, then the refused share down.
    const key = (p: (typeof items)[number]) => [p.disagreement ?? -1, p.responses ? p.refused / p.responses : -1];
    for (let i = 1; i < items.length; i++) {
      const [d0, r0] = key(items[i - 1]!);
      const [d1, r1] = key(items[i]!);
      expect(d1! < d0! || (d1 === d0 && r1! <= r0!)).toBe(true);
    }
    // Each pair's counts against the cells' own labels.
    for (const p of items) {
      const cells = (await api.listExecutions({ job: jobId, question: p.questionId, model: p.modelId, limit: 100 })).items.filter(
        (e) => e.state === 'succeeded' && e.classification !== null,
      );
      expect(p.responses).toBe(cells.length);
      expect(p.refused).toBe(cells.filter((e) => e.classification === 'refused').length);
    }
    frame = await press(ui, 'j', (f) => shown(f)[1]?.startsWith('›') === true);
    const second = items[1]!;
    frame = await press(ui, KEY.enter, (f) => f.includes(`${second.questionId} × ${second.modelId} · job ${jobId}`));
    frame = await press(ui, KEY.escape, (f) => f.includes(`suspects of job ${jobId}:`));
    expect(shown(frame)[1]!.startsWith('›')).toBe(true);
  });

  it('Findings: open findings with severity; enter jumps to the diff of the duplicate cell', async () => {
    const copied: string[] = [];
    const ui = mount(<App api={api} theme={plain} copy={(t) => copied.push(t)} />);
    await press(ui, KEY.tab + '', (f) => f.includes('[Live]'));
    await press(ui, '\u001B[Z', (f) => f.includes('[Jobs]'));
    await press(ui, '\u001B[Z', (f) => f.includes('[Fleet]'));
    await press(ui, '\u001B[Z', (f) => f.includes('[Trends]'));
    await press(ui, '\u001B[Z', (f) => f.includes('[Findings]'));
    let frame = await waitForText(ui, 'duplicate_cell', 'CRIT');
    expect(frame).toMatch(/open findings?/);
    await press(ui, '/', (f) => f.includes('filter findings:'));
    ui.stdin.write('duplicate_cell');
    await waitForText(ui, 'filter findings: duplicate_cell');
    frame = await press(ui, KEY.enter, (f) => /1 open finding matching/.test(f));
    expect(frame.split('\n').filter((l) => /^[› ] CRIT/.test(l))).toHaveLength(1);
    // The selected finding in full, its evidence as refs.
    expect(frame).toMatch(/^CRITICAL duplicate_cell · job full-test-3regions/m);
    expect(frame).toMatch(/^evidence executionIds: l:953 l:955$/m);
    const [finding] = (await api.listFindings({ state: 'open', limit: 500 })).items.filter((f) => f.ruleId === 'duplicate_cell');
    frame = await press(ui, 'y', (f) => f.includes('copied finding id'));
    expect(copied).toEqual([finding!.id]);
    expect(frame).toContain(`copied finding id ${finding!.id}`);
    frame = await press(ui, KEY.enter, (f) => f.includes('system prompt (differs)'));
    expect(frame).toMatch(/a {2}l953/);
    expect(frame).toMatch(/b {2}l955/);
  });

  it('Live tail: events of a new job arrive; filter, pause and follow', async () => {
    const ui = mount(<App api={api} theme={plain} />);
    await press(ui, KEY.tab, (f) => f.includes('[Live]'));
    const live = await fleet.submit(jobSpec('tui-live', 2, ['llama3.2-1b'], ['us-east', 'eu-west']));
    let frame = await waitForText(ui, 'tui-live', /finished +tui-live/);
    expect(frame).toMatch(/● connected · \d+ received/);
    expect(frame).toContain('following');
    await press(ui, '/', (f) => f.includes('filter events'));
    ui.stdin.write('region=eu-west');
    frame = await press(ui, KEY.enter, (f) => f.includes('filter region=eu-west'));
    const rows = frame
      .split('\n')
      .slice(2, -1)
      .filter((l) => l.includes('tui-live'));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((l) => l.includes('eu-west'))).toBe(true);
    frame = await press(ui, ' ', (f) => /paused \(\d+ new\)/.test(f));
    await press(ui, 'k', (f) => f.includes('scrolling') || f.includes('paused'));
    await press(ui, ' ', (f) => !f.includes('paused'));
    await press(ui, 'f', (f) => f.includes('following') || f.includes('scrolling'));
    await fleet.waitForJob(live.id, 30_000);
  });

  it('regression: keys that arrive in one write each count: jj moves twice, a filter and its enter, backspaces', async () => {
    const ui = mount(<App api={api} jobId={INCIDENT} theme={plain} />);
    await waitForText(ui, 'l953', 'lane 1/');
    await press(ui, 'jjj', (f) => f.includes('lane 4/'));
    // The filter, two typos, two backspaces and enter in one write: applied, the prompt closed, no DEL in the filter.
    const frame = await press(ui, '/region=eu-westxx\u007F\u007F\r', (f) => f.includes('lane 1/3 ') && !f.includes('lanes (region='));
    expect(frame).not.toContain('\u007F');
    const lanes = frame.split('\n').filter((l) => /^[› ] l\d+ /.test(l));
    expect(lanes.length).toBeGreaterThan(0);
    expect(lanes.every((l) => l.includes('eu-west'))).toBe(true);
    // Ctrl-U clears the prompt, ctrl-W deletes its last word.
    await press(ui, '/', (f) => f.includes('lanes (region= model= question=) or search: region=eu-west'));
    await press(ui, '\u0015', (f) => /lanes \(region= model= question=\) or search: ▏/.test(f));
    const laneRows = (f: string) => f.split('\n').filter((l) => /^[› ] l\d+ /.test(l));
    const us = await press(ui, 'region=us-east model=x\u0017\r', (f) => {
      const rows = laneRows(f);
      return !f.includes('lanes (region=') && rows.length > 0 && rows.every((l) => l.includes('us-east'));
    });
    expect(us).toContain('lane 1/');
  });

  it('regression: esc from a diff returns to the lane the cursor was on, and from evidence to the same finding', async () => {
    const ui = mount(<App api={api} jobId={INCIDENT} theme={plain} />);
    let frame = await waitForText(ui, 'l953', 'lane 1/');
    const total = Number(/lane 1\/(\d+)/.exec(frame)![1]);
    const target = Math.min(10, total);
    await press(ui, 'j'.repeat(target - 1), (f) => f.includes(`lane ${target}/`));
    await press(ui, 'd', (f) => f.includes('[Diff]'));
    frame = await press(ui, KEY.escape, (f) => f.includes('[Timeline]') && f.includes('l953'));
    expect(frame).toContain(`lane ${target}/`);

    for (const screen of ['Diff', 'Cross-region', 'Findings']) await press(ui, KEY.tab, (f) => f.includes(`[${screen}]`));
    frame = await waitForText(ui, /\d+ open findings?/);
    const rows = frame.split('\n').filter((l) => /^[› ] (CRIT|WARN|INFO)/.test(l));
    expect(rows.length).toBeGreaterThan(1);
    const second = rows[1]!.slice(2);
    await press(ui, 'j', (f) => f.includes(`› ${second}`));
    await press(ui, KEY.enter, (f) => !f.includes('[Findings]'));
    // A diff opened on its pair goes back to its pairs first, then to the findings.
    frame = await press(ui, KEY.escape, (f) => f.includes('[Findings]') || / pairs? to compare/.test(f));
    if (!frame.includes('[Findings]')) frame = await press(ui, KEY.escape, (f) => f.includes('[Findings]'));
    frame = await waitForText(ui, /\d+ open findings?/);
    expect(frame).toContain(`› ${second}`);
  });

  it('? shows the keys of the screen; the footer names the keys that work here; q quits', async () => {
    const ui = mount(<App api={api} jobId={INCIDENT} theme={plain} />);
    let frame = await waitForText(ui, 'l953');
    const footer = frame.split('\n').at(-1)!;
    expect(footer).toContain('+/- zoom');
    expect(footer.length).toBeLessThanOrEqual(100);
    frame = await press(ui, '?', (f) => f.includes('Timeline keys'));
    expect(frame).toContain('zoom in');
    expect(frame).toContain('duplicate cell');
    await press(ui, KEY.escape, (f) => f.includes('l953') && !f.includes('Timeline keys'));
    for (const screen of ['Diff', 'Cross-region', 'Findings']) frame = await press(ui, KEY.tab, (f) => f.includes(`[${screen}]`));
    expect(frame.split('\n').at(-1)).toContain('enter evidence');
  });
});
