import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { render } from 'ink-testing-library';
import { BeaconApiClient } from '@beacon/api-client';
import { App } from '@beacon/tui';
import { closeAllFleets, Fleet, jobSpec, type InProcessRunner } from '../utils/fleet.js';
import { KEY, press, waitForText } from '../utils/ink-frames.js';

afterAll(closeAllFleets);

const plain = { color: false };
const MODEL = 'llama3.2-1b';

type Row = Record<string, any>;

/** The Daemons screen and the job controls of `beacon tui`, driven by keys against a real runner on a real database. */
describe('TUI operator controls', () => {
  let fleet: Fleet;
  let runner: InProcessRunner;
  let api: BeaconApiClient;
  const mounted: { unmount(): void }[] = [];
  const mount = (node: Parameters<typeof render>[0]) => {
    const ui = render(node);
    mounted.push(ui);
    return ui;
  };

  beforeAll(async () => {
    fleet = await Fleet.create({ prefix: 'tui_ctl' });
    runner = await fleet.startInProcess();
    api = new BeaconApiClient(runner.url);
  });
  afterAll(async () => {
    for (const ui of mounted) ui.unmount();
    await fleet?.close();
  });

  it('Daemons: d drains the selected daemon after y and undrains it; the rows and the status line agree', async () => {
    const ui = mount(<App api={api} theme={plain} />);
    await press(ui, '8', (f) => f.includes('[Fleet]') && /› daemon inproc:/.test(f));
    await press(ui, 'd', (f) => /drain daemon inproc:\S+\? \(y\/N\)/.test(f));
    let frame = await press(ui, 'y', (f) => /daemon inproc:\S+: draining, \d+ call\(s\) in flight/.test(f));
    const [drained]: Row[] = await fleet.ds.query('SELECT id, draining_at, draining_by FROM runners WHERE id = $1', [
      runner.options.runnerId,
    ]);
    expect(drained!.draining_at).not.toBeNull();
    // The list shows it draining once it reloads (every 2 s, or r).
    frame = await press(ui, 'r', (f) => /› daemon inproc:\S+ +DRAINING/.test(f));
    await press(ui, 'd', (f) => /undrain daemon inproc:\S+\? \(y\/N\)/.test(f));
    await press(ui, 'y', (f) => /daemon inproc:\S+: claiming/.test(f));
    const [back]: Row[] = await fleet.ds.query('SELECT draining_at FROM runners WHERE id = $1', [runner.options.runnerId]);
    expect(back!.draining_at).toBeNull();
    expect(frame).toContain('d drain/undrain');
  });

  it('Daemons: p pauses a region and model, c types its concurrency, esc and n change nothing', async () => {
    // A (region, model) shows once a daemon holds its cells or it has a control: give it one through the API.
    await api.setKeyConcurrency('eu-west', MODEL, 3);
    try {
      await daemonsControls();
    } finally {
      // Whatever happened above, the key is left running and without an override for the tests after this one.
      await api.setKeyPaused('eu-west', MODEL, false);
      await api.setKeyConcurrency('eu-west', MODEL, null);
    }
  });

  async function daemonsControls(): Promise<void> {
    const ui = mount(<App api={api} theme={plain} />);
    await press(ui, '8', (f) => f.includes(`key    eu-west/${MODEL}`) && f.includes('concurrency 3'));
    await press(ui, 'G', (f) => f.includes(`› key    eu-west/${MODEL}`));
    await press(ui, 'p', (f) => f.includes(`pause ${MODEL} in eu-west on every daemon? (y/N)`));
    await press(ui, 'n', (f) => f.includes('not done: answered no'));
    expect((await api.keyControls()).items[0]).toMatchObject({ paused: false });
    await press(ui, 'p', (f) => f.includes('(y/N)'));
    await press(ui, 'y', (f) => f.includes(`${MODEL} in eu-west: paused on every daemon`));
    expect((await api.keyControls()).items[0]).toMatchObject({ region: 'eu-west', model: MODEL, paused: true });

    // Once, on a loaded CI machine, the cursor was back on the daemon row here (cause not found; the list's rows were
    // the same before and after). G puts it on the key row again, so that this test checks the controls it is about.
    await press(ui, 'G', (f) => f.includes(`› key    eu-west/${MODEL}`));
    await press(ui, 'c', (f) => f.includes(`concurrency of ${MODEL} in eu-west per daemon`));
    await press(ui, 'x'); // not a digit: ignored
    await press(ui, '7', (f) => f.includes('per daemon (0–10000') && /: 7▏/.test(f));
    await press(ui, KEY.enter, (f) => f.includes(`set the concurrency of ${MODEL} in eu-west to 7? (y/N)`));
    await press(ui, 'y', (f) => f.includes(`${MODEL} in eu-west: concurrency 7 per daemon`));
    expect((await api.keyControls()).items[0]).toMatchObject({ concurrency: 7, paused: true });
    await press(ui, 'c', (f) => f.includes('per daemon (0–10000'));
    await press(ui, KEY.escape, (f) => f.includes('not done: cancelled'));
    await press(ui, 'P', (f) => f.includes(`resume ${MODEL} in eu-west on every daemon? (y/N)`));
    await press(ui, 'y', (f) => f.includes(`${MODEL} in eu-west: running on every daemon`));
    expect((await api.keyControls()).items[0]).toMatchObject({ paused: false, concurrency: 7 });
  }

  it('Jobs: x cancels the selected job after y; a finished job answers 409 or "already finished" in the status line', async () => {
    const job = await fleet.submit(jobSpec('tui-ctl-done', 1, [MODEL], ['us-east']));
    await fleet.waitForJob(job.id, 60_000);
    const ui = mount(<App api={api} theme={plain} />);
    await waitForText(ui, new RegExp(`› ${job.id}\\s+completed`));
    await press(ui, 'x', (f) => f.includes(`cancel job ${job.id}? (y/N)`));
    await press(ui, 'y', (f) => f.includes(`job ${job.id} had already finished (completed): nothing to cancel`));
    // Pausing a finished job: the API's 409, with its own words.
    await press(ui, 'p', (f) => f.includes(`pause job ${job.id}? (y/N)`));
    await press(ui, 'y', (f) => f.includes(`conflict (409): job ${job.id} has finished (completed): there is nothing to pause`));
    // Retry when no cell failed: the API's answer too.
    await press(ui, 'R', (f) => f.includes('(y/N)'));
    const frame = await press(ui, 'y', (f) => /(conflict \(409\)|0 failed cell)/.test(f));
    expect(frame).not.toContain('(y/N)');
    const [audit]: Row[] = await fleet.ds.query(`SELECT count(*)::int AS n FROM audit_log WHERE path LIKE $1`, [
      `/api/v1/jobs/${job.id}/%`,
    ]);
    expect(audit!.n).toBeGreaterThanOrEqual(3);
  });

  it("Timeline: enter shows the last attempt's exact system and user prompts and its response, from the API; J/K scroll", async () => {
    const job = await fleet.submit(jobSpec('tui-ctl-prompts', 1, [MODEL], ['eu-west']));
    await fleet.waitForJob(job.id, 60_000);
    const [row]: Row[] = await fleet.ds.query(
      `SELECT a.system_prompt, a.user_prompt, a.response FROM execution_attempts a WHERE a.job_id = $1 AND a.outcome = 'succeeded'`,
      [job.id],
    );
    const ui = mount(<App api={api} jobId={job.id} theme={plain} />);
    await waitForText(ui, 'lane 1/1');
    let frame = await press(ui, KEY.enter, (f) => f.includes('── system prompt (attempt #1)') && f.includes('── user prompt'));
    // Wrapped at the width, the pane's lines re-joined are the stored prompts, exactly as sent.
    const pane = (f: string) => f.split('\n');
    const between = (f: string, from: string, to: string | null) => {
      const lines = pane(f);
      const i = lines.findIndex((l) => l.startsWith(from));
      const j = to === null ? lines.length : lines.findIndex((l, k) => k > i && l.startsWith(to));
      return lines
        .slice(i + 1, j === -1 ? undefined : j)
        .join(' ')
        .replace(/\s+/g, ' ')
        .trim();
    };
    expect(between(frame, '── system prompt', '── user prompt')).toBe(String(row!.system_prompt).replace(/\s+/g, ' ').trim());
    // The response may be below the pane: scroll down until its title shows, then back up.
    let scrolled = 0;
    for (; scrolled < 20 && !frame.includes('── response'); scrolled++) frame = await press(ui, 'J');
    expect(frame).toContain('── response');
    const first = String(row!.response).replace(/\s+/g, ' ').trim().split(' ').slice(0, 3).join(' ');
    expect(frame.replace(/\s+/g, ' ')).toContain(first);
    if (scrolled > 0) await press(ui, 'K', (f) => f !== frame);
  });

  it('help (?) lists the control keys of the Jobs screen', async () => {
    const ui = mount(<App api={api} theme={plain} />);
    await waitForText(ui, '[Jobs]');
    const frame = await press(ui, '?', (f) => f.includes('Jobs keys'));
    expect(frame).toMatch(/x R p P +x cancel the job, R re-run its failed cells, p pause, P resume \(each asks y\/N\)/);
  });
});
