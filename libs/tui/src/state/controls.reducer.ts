import { roleAtLeast, type Role } from '@beacon/domain';
import type { KeyName } from '../keys/key-binding.js';

/** One operator control, with everything the API call needs. */
export type Control =
  | { readonly kind: 'cancel'; readonly jobId: string }
  | { readonly kind: 'retry'; readonly jobId: string }
  | { readonly kind: 'pauseJob'; readonly jobId: string; readonly paused: boolean }
  | { readonly kind: 'pauseKey'; readonly region: string; readonly model: string; readonly paused: boolean }
  | { readonly kind: 'drain'; readonly daemonId: string; readonly draining: boolean }
  /** `concurrency` null: back to the region's concurrency. */
  | { readonly kind: 'concurrency'; readonly region: string; readonly model: string; readonly concurrency: number | null };

/** A (region, model) whose concurrency is being typed. */
export interface ConcurrencyEntry {
  readonly region: string;
  readonly model: string;
  readonly text: string;
}

/**
 * Where a control is: nothing asked, a number being typed (concurrency), the y/N question, or the API call on its way.
 * The app sends the call when the mode becomes `sending`, and only then: a key cannot send it twice.
 */
export type ControlMode =
  | { readonly kind: 'idle' }
  | { readonly kind: 'number'; readonly entry: ConcurrencyEntry }
  | { readonly kind: 'confirm'; readonly control: Control }
  | { readonly kind: 'sending'; readonly control: Control };

export interface ControlsState {
  /** The token's role from `GET /api/v1/whoami`; null until it is known (every control is then refused). */
  readonly role: Role | null;
  /** Why the role is unknown (whoami failed), for the refusal message. */
  readonly roleError: string | null;
  readonly mode: ControlMode;
}

export type ControlsAction =
  | { type: 'controls/role'; role: Role }
  | { type: 'controls/role-error'; message: string }
  /** A control's key was pressed: asks y/N (or the number first), or says why it is not offered. */
  | { type: 'controls/ask'; control: Control }
  /** The concurrency key: asks for the number of calls in flight per daemon. */
  | { type: 'controls/ask-number'; region: string; model: string }
  /** A key while a question is open. */
  | { type: 'controls/key'; key: KeyName }
  /** The API answered: `text` says what it did, or why not. */
  | { type: 'controls/done'; text: string };

export const initialControls: ControlsState = { role: null, roleError: null, mode: { kind: 'idle' } };

/** The weakest role that may use a control: cancelling is the submitter's (the API refuses others' jobs), the rest the operator's. */
export function roleNeeded(c: Control['kind']): Role {
  return c === 'cancel' ? 'submitter' : 'operator';
}

/** Whether the role may use a control at all (the API still decides, e.g. a submitter's own jobs only). */
export function mayUse(role: Role | null, c: Control['kind']): boolean {
  return role !== null && roleAtLeast(role, roleNeeded(c));
}

/** What the y/N question says. */
export function controlQuestion(c: Control): string {
  switch (c.kind) {
    case 'cancel':
      return `cancel job ${c.jobId}?`;
    case 'retry':
      return `re-run every failed cell of job ${c.jobId}?`;
    case 'pauseJob':
      return `${c.paused ? 'pause' : 'resume'} job ${c.jobId}?`;
    case 'pauseKey':
      return `${c.paused ? 'pause' : 'resume'} ${c.model} in ${c.region} on every daemon?`;
    case 'drain':
      return `${c.draining ? 'drain' : 'undrain'} daemon ${c.daemonId}?`;
    case 'concurrency':
      return `set the concurrency of ${c.model} in ${c.region} to ${c.concurrency ?? "the region's"}?`;
  }
}

/** The most a concurrency override may be (as the API and `beacon concurrency` take it). */
export const MAX_CONCURRENCY = 10_000;

/** What the open question shows in the footer, or null when none is open. */
export function controlPrompt(s: ControlsState): string | null {
  switch (s.mode.kind) {
    case 'idle':
      return null;
    case 'number':
      return `concurrency of ${s.mode.entry.model} in ${s.mode.entry.region} per daemon (0–${MAX_CONCURRENCY}, empty: the region's): ${s.mode.entry.text}▏`;
    case 'confirm':
      return `${controlQuestion(s.mode.control)} (y/N)`;
    case 'sending':
      return `${controlQuestion(s.mode.control).replace(/\?$/, '')}…`;
  }
}

/** The next controls state, and the status line to show (undefined: leave it). */
export interface ControlsStep {
  readonly controls: ControlsState;
  readonly status?: string;
}

/** Pure transitions of the operator controls. */
export function controlsReducer(s: ControlsState, a: ControlsAction): ControlsStep {
  switch (a.type) {
    case 'controls/role':
      return { controls: { ...s, role: a.role, roleError: null } };
    case 'controls/role-error':
      return { controls: { ...s, roleError: a.message } };
    case 'controls/ask':
    case 'controls/ask-number': {
      const kind = a.type === 'controls/ask' ? a.control.kind : 'concurrency';
      if (s.mode.kind !== 'idle') return { controls: s, status: 'one control at a time: answer the open question first' };
      const refused = refusal(s, kind);
      if (refused) return { controls: s, status: refused };
      if (a.type === 'controls/ask') return { controls: { ...s, mode: { kind: 'confirm', control: a.control } } };
      return { controls: { ...s, mode: { kind: 'number', entry: { region: a.region, model: a.model, text: '' } } } };
    }
    case 'controls/key':
      return controlKey(s, a.key);
    case 'controls/done':
      return { controls: { ...s, mode: { kind: 'idle' } }, status: a.text };
  }
}

/** Why the token may not use a control, or null when it may. */
function refusal(s: ControlsState, kind: Control['kind']): string | null {
  if (s.role === null)
    return s.roleError
      ? `controls unavailable: the token's role is unknown (${s.roleError})`
      : "controls unavailable until the token's role is known";
  const need = roleNeeded(kind);
  return mayUse(s.role, kind) ? null : `not allowed: this needs the ${need} role, the token is a ${s.role}`;
}

/** One key while a question is open: y sends, anything else (n, esc, enter) says no; the number prompt edits its text. */
function controlKey(s: ControlsState, key: KeyName): ControlsStep {
  const idle = { ...s, mode: { kind: 'idle' } as const };
  switch (s.mode.kind) {
    case 'idle':
    case 'sending':
      return { controls: s };
    case 'confirm':
      if (key === 'char:y' || key === 'char:Y') return { controls: { ...s, mode: { kind: 'sending', control: s.mode.control } } };
      return { controls: idle, status: 'not done: answered no' };
    case 'number': {
      const entry = s.mode.entry;
      if (key === 'escape') return { controls: idle, status: 'not done: cancelled' };
      if (key === 'backspace') return { controls: { ...s, mode: { kind: 'number', entry: { ...entry, text: entry.text.slice(0, -1) } } } };
      if (key === 'return') {
        const text = entry.text.trim();
        const n = text === '' ? null : Number(text);
        if (n !== null && !(Number.isInteger(n) && n >= 0 && n <= MAX_CONCURRENCY))
          return { controls: s, status: `concurrency: must be a whole number from 0 to ${MAX_CONCURRENCY}, or empty (got "${text}")` };
        const control: Control = { kind: 'concurrency', region: entry.region, model: entry.model, concurrency: n };
        return { controls: { ...s, mode: { kind: 'confirm', control } } };
      }
      // Digits only, at most five of them: anything else could never be a valid number.
      if (/^char:\d$/.test(key) && entry.text.length < 5)
        return { controls: { ...s, mode: { kind: 'number', entry: { ...entry, text: entry.text + key.slice(5) } } } };
      return { controls: s };
    }
  }
}

/** The job control keys of the Jobs and Timeline screens (see `jobControlKeys`). */
export type JobControlCommand = 'cancel' | 'retry' | 'pauseJob' | 'resumeJob';

export function isJobControl(c: string): c is JobControlCommand {
  return c === 'cancel' || c === 'retry' || c === 'pauseJob' || c === 'resumeJob';
}

/** The action a job control key asks for on a job; a status line when no job is selected. */
export function jobControlAction(c: JobControlCommand, jobId: string | null): ControlsAction | { type: 'status'; text: string } {
  if (jobId === null) return { type: 'status', text: 'no job selected' };
  const control: Control = c === 'cancel' || c === 'retry' ? { kind: c, jobId } : { kind: 'pauseJob', jobId, paused: c === 'pauseJob' };
  return { type: 'controls/ask', control };
}
