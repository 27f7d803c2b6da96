import { describe, expect, it } from '@jest/globals';
import { appReducer, initialState, MAX_ZOOM, type AppAction, type AppState } from './app.reducer.js';

const run = (s: AppState, ...actions: AppAction[]) => actions.reduce(appReducer, s);

describe(appReducer.name, () => {
  it('starts on the jobs list, or on the timeline when a job is given', () => {
    expect(initialState().screen).toBe('jobs');
    expect(initialState('job-1')).toMatchObject({ screen: 'timeline', jobId: 'job-1' });
  });

  it('tab cycles through every screen and back to the first; esc retraces the way', () => {
    const seen: string[] = [];
    let s = initialState();
    for (let i = 0; i < 8; i++) {
      s = appReducer(s, { type: 'screen/next' });
      seen.push(s.screen);
    }
    expect(seen).toEqual(['live', 'timeline', 'diff', 'cross', 'findings', 'trends', 'daemons', 'jobs']);
    s = run(s, { type: 'back' }, { type: 'back' });
    expect(s.screen).toBe('trends');
    expect(appReducer(initialState(), { type: 'screen/previous' }).screen).toBe('daemons');
  });

  it('esc closes help, then the prompt, then the diff back to its pairs, before leaving the screen', () => {
    const pairs = [
      { a: '1', b: '2', label: 'x' },
      { a: '1', b: '3', label: 'y' },
    ];
    let s = run(initialState(), { type: 'open/diff', pairs, refs: pairs[1] }, { type: 'help/toggle' });
    s = appReducer(s, { type: 'back' });
    expect(s).toMatchObject({ help: false, screen: 'diff' });
    expect(s.diff.refs).toEqual(pairs[1]);
    s = appReducer(s, { type: 'back' });
    expect(s.diff.refs).toBeNull();
    expect(appReducer(s, { type: 'back' }).screen).toBe('jobs');
  });

  it('opening a diff with a single pair compares it at once', () => {
    const s = appReducer(initialState(), { type: 'open/diff', pairs: [{ a: '953', b: '955', label: 'dup' }] });
    expect(s.diff.refs).toMatchObject({ a: '953', b: '955' });
  });

  it('the prompt edits text and applies it as the screen filter, resetting that list', () => {
    let s = run(initialState(), { type: 'cursor', screen: 'jobs', move: 'down', count: 10, height: 5 });
    expect(s.cursors.jobs.index).toBe(1);
    s = run(
      s,
      { type: 'prompt/open' },
      { type: 'prompt/type', text: 'biax' },
      { type: 'prompt/backspace' },
      { type: 'prompt/type', text: 's\n' },
    );
    expect(s.prompt).toBe('bias');
    s = appReducer(s, { type: 'prompt/accept' });
    expect(s).toMatchObject({ prompt: null, filters: { jobs: 'bias' } });
    expect(s.cursors.jobs.index).toBe(0);
    expect(run(s, { type: 'prompt/open' }, { type: 'prompt/cancel' }).filters.jobs).toBe('bias');
  });

  it('the diff prompt takes two refs; the cross-region prompt takes a question and a model', () => {
    let s = run(
      initialState('j'),
      { type: 'screen/next' },
      { type: 'prompt/open' },
      { type: 'prompt/type', text: '953 a:17' },
      { type: 'prompt/accept' },
    );
    expect(s.screen).toBe('diff');
    expect(s.diff.refs).toMatchObject({ a: '953', b: 'a:17' });
    s = run(
      s,
      { type: 'screen/next' },
      { type: 'prompt/open' },
      { type: 'prompt/type', text: 'question=q1 model=m' },
      { type: 'prompt/accept' },
    );
    expect(s.cross).toEqual({ jobId: 'j', questionId: 'q1', modelId: 'm' });
  });

  it('zoom doubles around the centre and scrolling stays inside the span', () => {
    let s = run(initialState('j'), { type: 'timeline/zoom', direction: 1 });
    expect(s.timeline).toMatchObject({ zoom: 2, offset: 0.25 });
    s = run(
      s,
      { type: 'timeline/scroll', direction: 1 },
      { type: 'timeline/scroll', direction: 1 },
      { type: 'timeline/scroll', direction: 1 },
    );
    expect(s.timeline.offset).toBe(0.5);
    s = run(s, { type: 'timeline/zoom', direction: -1 }, { type: 'timeline/zoom', direction: -1 });
    expect(s.timeline).toMatchObject({ zoom: 1, offset: 0 });
    for (let i = 0; i < 20; i++) s = appReducer(s, { type: 'timeline/zoom', direction: 1 });
    expect(s.timeline.zoom).toBe(MAX_ZOOM);
  });

  it('opening another job resets the timeline position; reopening the same keeps it', () => {
    let s = run(
      initialState('a'),
      { type: 'timeline/zoom', direction: 1 },
      { type: 'cursor', screen: 'timeline', move: 'down', count: 5, height: 3 },
    );
    expect(run(s, { type: 'screen/next' }, { type: 'open/timeline', jobId: 'a' }).timeline.zoom).toBe(2);
    s = appReducer(s, { type: 'open/timeline', jobId: 'b' });
    expect(s.timeline.zoom).toBe(1);
    expect(s.cursors.timeline.index).toBe(0);
  });

  it('opens the Trends screen on a target with the newest runs, the cursor at the top and no filter; scrolls within the series', () => {
    let s = run(initialState(), { type: 'prompt/open' });
    s = run(initialState(null, ['sched']), { type: 'cursor', screen: 'trends', move: 'down', count: 5, height: 3 });
    expect(s).toMatchObject({ screen: 'trends', trend: { ids: ['sched'] } });
    expect(s.cursors.trends.index).toBe(1);
    s = run(
      s,
      { type: 'trend/scroll', direction: 1, step: 10, runs: 100, shown: 60 },
      { type: 'trend/scroll', direction: 1, step: 10, runs: 100, shown: 60 },
    );
    expect(s.trendView.back).toBe(20);
    s = run(s, ...Array.from({ length: 10 }, (): AppAction => ({ type: 'trend/scroll', direction: 1, step: 10, runs: 100, shown: 60 })));
    expect(s.trendView.back).toBe(40);
    s = run(
      s,
      { type: 'trend/scroll', direction: -1, step: 30, runs: 100, shown: 60 },
      { type: 'trend/scroll', direction: -1, step: 30, runs: 100, shown: 60 },
    );
    expect(s.trendView.back).toBe(0);
    s = run(s, { type: 'trend/metric' }, { type: 'trend/scroll', direction: 1, step: 5, runs: 100, shown: 60 });
    expect(s.trendView).toEqual({ metric: 'labels', back: 5 });
    s = run(s, { type: 'screen/go', screen: 'jobs' }, { type: 'open/trend', target: { ids: ['a-1', 'a-2'] } });
    expect(s).toMatchObject({ screen: 'trends', trend: { ids: ['a-1', 'a-2'] }, trendView: { metric: 'labels', back: 0 } });
    expect(s.cursors.trends.index).toBe(0);
    expect(appReducer(s, { type: 'back' }).screen).toBe('jobs');
  });
});

describe('navigation', () => {
  const typed = (s: AppState, text: string) =>
    [...text].reduce((st, c) => appReducer(st, { type: 'prompt/key', key: c === ' ' ? 'space' : `char:${c}` }), s);
  const command = (s: AppState, text: string) =>
    appReducer(typed(appReducer(s, { type: 'command/open' }), text), { type: 'prompt/key', key: 'return' });

  it('regression: esc returns to the row each screen was on, even after the screen reloaded empty', () => {
    let s = initialState('job-1');
    for (let i = 0; i < 9; i++) s = appReducer(s, { type: 'cursor', screen: 'timeline', move: 'down', count: 40, height: 20 });
    s = appReducer(s, { type: 'open/diff', pairs: [], refs: { a: '1', b: '2', label: 'x' } });
    // Meanwhile the diff's cursor moved; the timeline's is its own.
    s = appReducer(s, { type: 'cursor', screen: 'diff', move: 'down', count: 40, height: 20 });
    s = appReducer(s, { type: 'back' });
    // Coming back, the timeline has no lanes until they load again: the cursor waits for them.
    s = appReducer(s, { type: 'cursor/clamp', screen: 'timeline', count: 0, height: 20 });
    s = appReducer(s, { type: 'cursor/clamp', screen: 'timeline', count: 40, height: 20 });
    expect(s).toMatchObject({ screen: 'timeline', cursors: { timeline: { index: 9 } } });
  });

  it('number keys go to a screen; the : command line opens jobs, diffs and filtered findings', () => {
    expect(appReducer(initialState(), { type: 'screen/go', screen: 'findings' }).screen).toBe('findings');
    let s = command(initialState(), 'job full-test');
    expect(s).toMatchObject({ screen: 'timeline', jobId: 'full-test', prompt: null, promptKind: 'filter' });
    s = command(s, 'diff l:953 l:955');
    expect(s).toMatchObject({ screen: 'diff', diff: { refs: { a: 'l:953', b: 'l:955' } } });
    s = command(s, 'findings critical');
    expect(s).toMatchObject({ screen: 'findings', filters: { findings: 'critical' } });
    expect(appReducer(s, { type: 'back' }).screen).toBe('diff');
    expect(command(s, 'diff 1')).toMatchObject({ screen: 'findings', status: expect.stringContaining(':diff needs two refs') });
    expect(command(s, 'frobnicate').status).toMatch(/^unknown command "frobnicate": job ID/);
  });
  describe('suspects', () => {
    const target = { jobId: 'j', questionId: 'q2', modelId: 'm' };
    it('v opens the list on the cross-region screen; enter opens a pair; esc comes back to the list where it was left', () => {
      let s = run(
        initialState(),
        { type: 'open/suspects', jobId: 'j' },
        { type: 'cursor', screen: 'cross', move: 'down', count: 10, height: 5 },
        { type: 'cursor', screen: 'cross', move: 'down', count: 10, height: 5 },
      );
      expect(s).toMatchObject({ screen: 'cross', cross: null, suspects: { jobId: 'j' } });
      expect(s.cursors.cross.index).toBe(2);
      s = run(s, { type: 'suspects/pick', target }, { type: 'cursor', screen: 'cross', move: 'down', count: 3, height: 5 });
      expect(s).toMatchObject({ screen: 'cross', cross: target });
      expect(s.cursors.cross.index).toBe(1);
      s = appReducer(s, { type: 'back' });
      expect(s).toMatchObject({ screen: 'cross', cross: null, suspects: { jobId: 'j' } });
      expect(s.cursors.cross.index).toBe(2);
      // esc on the list itself goes back to the screen it was opened from.
      expect(appReducer(s, { type: 'back' }).screen).toBe('jobs');
    });
    it('c from a lane leaves the list: esc then goes back to the timeline, not to a list', () => {
      let s = run(initialState('j'), { type: 'open/suspects', jobId: 'j' }, { type: 'screen/go', screen: 'timeline' });
      s = run(s, { type: 'open/cross', target });
      expect(s.suspects).toBeNull();
      expect(appReducer(s, { type: 'back' }).screen).toBe('timeline');
    });
    it('a pick without a list changes nothing', () => {
      const s = initialState();
      expect(appReducer(s, { type: 'suspects/pick', target })).toBe(s);
    });
  });
});
