import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ROLES, roleAtLeast, type Role } from '@beacon/domain';
import type { KeyName } from '../keys/key-binding.js';
import { appReducer, initialState, type AppAction, type AppState } from './app.reducer.js';
import { controlPrompt, jobControlAction, mayUse, type Control } from './controls.reducer.js';

const run = (s: AppState, ...actions: AppAction[]) => actions.reduce(appReducer, s);
const as = (role: Role) => appReducer(initialState(), { type: 'controls/role', role });
const key = (k: KeyName): AppAction => ({ type: 'controls/key', key: k });
const retry: Control = { kind: 'retry', jobId: 'nightly-42' };

describe('operator controls in the app reducer', () => {
  it('a control asks y/N first; y sends it (once), the answer goes to the status line and closes the question', () => {
    let s = run(as('operator'), { type: 'controls/ask', control: retry });
    expect(s.controls.mode).toEqual({ kind: 'confirm', control: retry });
    expect(controlPrompt(s.controls)).toBe('re-run every failed cell of job nightly-42? (y/N)');
    s = appReducer(s, key('char:y'));
    expect(s.controls.mode).toEqual({ kind: 'sending', control: retry });
    // Keys while the call is on its way do not send it again, nor open another question.
    expect(appReducer(s, key('char:y')).controls.mode).toBe(s.controls.mode);
    expect(appReducer(s, { type: 'controls/ask', control: retry })).toMatchObject({
      controls: { mode: { kind: 'sending' } },
      status: expect.stringContaining('one control at a time'),
    });
    s = appReducer(s, { type: 'controls/done', text: 'refused (403): not yours' });
    expect(s.controls.mode).toEqual({ kind: 'idle' });
    expect(s.status).toBe('refused (403): not yours');
  });

  it('any key but y answers no: nothing is sent', () => {
    for (const k of ['char:n', 'escape', 'return', 'char:q', 'space'] as KeyName[]) {
      const s = run(as('admin'), { type: 'controls/ask', control: retry }, key(k));
      expect(s.controls.mode).toEqual({ kind: 'idle' });
      expect(s.status).toBe('not done: answered no');
    }
  });

  it('a role below the control is refused with the reason, for every role and control (fast-check)', () => {
    const controls: Control[] = [
      { kind: 'cancel', jobId: 'j' },
      retry,
      { kind: 'pauseJob', jobId: 'j', paused: true },
      { kind: 'pauseKey', region: 'eu-west', model: 'm', paused: false },
      { kind: 'drain', daemonId: 'h:1:a', draining: true },
      { kind: 'concurrency', region: 'eu-west', model: 'm', concurrency: 3 },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...ROLES), fc.constantFrom(...controls), (role, control) => {
        const s = appReducer(as(role), { type: 'controls/ask', control });
        const need = control.kind === 'cancel' ? 'submitter' : 'operator';
        expect(mayUse(role, control.kind)).toBe(roleAtLeast(role, need));
        if (roleAtLeast(role, need)) expect(s.controls.mode.kind).toBe('confirm');
        else {
          expect(s.controls.mode.kind).toBe('idle');
          expect(s.status).toBe(`not allowed: this needs the ${need} role, the token is a ${role}`);
        }
      }),
    );
  });

  it('before whoami answers, and when it failed, nothing is offered and the status says why', () => {
    expect(appReducer(initialState(), { type: 'controls/ask', control: retry }).status).toBe(
      "controls unavailable until the token's role is known",
    );
    const s = run(
      initialState(),
      { type: 'controls/role-error', message: 'failed: unreachable' },
      { type: 'controls/ask', control: retry },
    );
    expect(s.controls.mode.kind).toBe('idle');
    expect(s.status).toBe("controls unavailable: the token's role is unknown (failed: unreachable)");
  });

  it('concurrency: digits only, enter validates the number and then asks y/N; empty means the region’s', () => {
    let s = run(as('operator'), { type: 'controls/ask-number', region: 'eu-west', model: 'qwen' });
    for (const k of ['char:1', 'char:x', 'char:2', 'char:3', 'char:4', 'char:5', 'char:6', 'backspace'] as KeyName[])
      s = appReducer(s, key(k));
    expect(s.controls.mode).toEqual({ kind: 'number', entry: { region: 'eu-west', model: 'qwen', text: '1234' } });
    s = appReducer(s, key('return'));
    expect(s.controls.mode).toEqual({
      kind: 'confirm',
      control: { kind: 'concurrency', region: 'eu-west', model: 'qwen', concurrency: 1234 },
    });
    // Over the most: refused with the field and the problem, the prompt stays open to fix it.
    s = run(
      as('operator'),
      { type: 'controls/ask-number', region: 'r', model: 'm' },
      ...['9', '9', '9', '9', '9'].map((d) => key(`char:${d}`)),
    );
    s = appReducer(s, key('return'));
    expect(s.controls.mode.kind).toBe('number');
    expect(s.status).toBe('concurrency: must be a whole number from 0 to 10000, or empty (got "99999")');
    s = run(as('operator'), { type: 'controls/ask-number', region: 'r', model: 'm' }, key('return'));
    expect(s.controls.mode).toEqual({ kind: 'confirm', control: { kind: 'concurrency', region: 'r', model: 'm', concurrency: null } });
    expect(run(as('operator'), { type: 'controls/ask-number', region: 'r', model: 'm' }, key('escape')).controls.mode.kind).toBe('idle');
  });

  it('the job keys name their control; no selected job says so', () => {
    expect(jobControlAction('pauseJob', 'j1')).toEqual({ type: 'controls/ask', control: { kind: 'pauseJob', jobId: 'j1', paused: true } });
    expect(jobControlAction('resumeJob', 'j1')).toEqual({
      type: 'controls/ask',
      control: { kind: 'pauseJob', jobId: 'j1', paused: false },
    });
    expect(jobControlAction('cancel', 'j1')).toEqual({ type: 'controls/ask', control: { kind: 'cancel', jobId: 'j1' } });
    expect(jobControlAction('retry', null)).toEqual({ type: 'status', text: 'no job selected' });
  });

  it('leaves the rest of the state alone', () => {
    const before = run(initialState(), { type: 'screen/go', screen: 'daemons' }, { type: 'controls/role', role: 'operator' });
    const after = run(before, { type: 'controls/ask', control: retry }, key('char:n'));
    expect({ ...after, controls: before.controls, status: null }).toEqual({ ...before, status: null });
  });
});

describe('attempt details scrolling in the app reducer', () => {
  it('scrolls within its bounds, and starts at 0 again on another lane', () => {
    const scroll = (s: AppState, executionId: string, by: number) =>
      appReducer(s, { type: 'details/scroll', executionId, by, min: -2, max: 10 });
    let s = scroll(initialState(), 'e1', 4);
    expect(s.detailScroll).toEqual({ executionId: 'e1', lines: 4 });
    s = scroll(scroll(s, 'e1', 4), 'e1', 4);
    expect(s.detailScroll.lines).toBe(10);
    expect(scroll(s, 'e1', 1)).toBe(s);
    expect(scroll(s, 'e2', -5).detailScroll).toEqual({ executionId: 'e2', lines: -2 });
    expect(scroll(s, 'e2', 3).detailScroll).toEqual({ executionId: 'e2', lines: 3 });
  });
});
