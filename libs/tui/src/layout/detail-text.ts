import type { AttemptView, FindingView, TimelineAttemptView } from '@beacon/domain';
import { wrapSegments } from './diff-layout.js';
import { clockTime } from './time-format.js';

/**
 * The OSC 52 sequence that puts `text` on the terminal's clipboard (xterm, iTerm2, kitty, WezTerm, tmux with
 * `set-clipboard on`): it works over ssh, where no local clipboard tool can reach the operator's machine.
 */
export function osc52(text: string): string {
  return `\u001B]52;c;${Buffer.from(text, 'utf8').toString('base64')}\u0007`;
}

/** The trace's address from a template such as `https://tempo.example/trace/{traceId}`, or null without a template. */
export function traceLink(template: string | null | undefined, traceId: string | null): string | null {
  if (!template || !traceId) return null;
  return template.split('{traceId}').join(encodeURIComponent(traceId));
}

/** Evidence values as lines `key: value`, arrays of ids as refs an operator can type at `:diff` (`e:953 e:955`). */
export function evidenceLines(f: FindingView): string[] {
  const legacy = f.ruleId === 'duplicate_cell' || f.ruleId === 'batch_mode';
  // Ids first: they are what an operator follows; counts and times after.
  const entries = Object.entries(f.evidence).sort(([, a], [, b]) => Number(!Array.isArray(a)) - Number(!Array.isArray(b)));
  return entries.map(([key, value]) => {
    if (Array.isArray(value)) {
      const prefix = key === 'executionIds' ? (legacy ? 'l:' : 'e:') : key === 'attemptIds' ? 'a:' : '';
      return `${key}: ${value.map((v) => `${prefix}${String(v)}`).join(' ')}`;
    }
    return `${key}: ${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`;
  });
}

/** A finding in full: what, where, when, the whole summary wrapped, and each piece of evidence on its own line. */
export function findingDetail(f: FindingView, width: number): string[] {
  const head = `${f.severity.toUpperCase()} ${f.ruleId} · ${f.jobId ? `job ${f.jobId}` : 'no job'} · seen ${f.occurrences}× ${clockTime(f.firstSeenAt).slice(0, 8)} → ${clockTime(f.lastSeenAt).slice(0, 8)} · id ${f.id}`;
  const wrap = (t: string) => wrapSegments([{ text: t, tone: 'equal' }], width).map((l) => l.map((s) => s.text).join(''));
  return [...wrap(head), ...wrap(f.summary), ...evidenceLines(f).flatMap((l) => wrap(`evidence ${l}`))];
}

/** What a one-line attempt summary leaves out: the trace's link (when a template is set) and the whole error, wrapped. */
export function attemptDetail(a: TimelineAttemptView, width: number, traceTemplate: string | null): string[] {
  const wrap = (t: string) => wrapSegments([{ text: t, tone: 'equal' }], width).map((l) => l.map((s) => s.text).join(''));
  const link = traceLink(traceTemplate, a.traceId);
  return [...(link ? wrap(`trace ${link}`) : []), ...(a.error ? wrap(`error: ${a.error}`) : [])];
}

/**
 * The exact prompts and response of an attempt, each under its title and wrapped to `width`; the text's own line
 * breaks are kept (a prompt's paragraphs matter when comparing what a model was asked).
 */
export function attemptPrompts(
  a: Pick<AttemptView, 'attempt' | 'systemPrompt' | 'userPrompt' | 'response' | 'outcome'>,
  width: number,
): string[] {
  const wrap = (t: string) =>
    t.split(/\r?\n/).flatMap((line) => wrapSegments([{ text: line, tone: 'equal' }], width).map((l) => l.map((s) => s.text).join('')));
  const response =
    a.response !== null
      ? wrap(a.response)
      : [a.outcome === null ? '(no response yet: the call is in flight)' : `(no response: ${a.outcome})`];
  return [
    `── system prompt (attempt #${a.attempt}) `.padEnd(width, '─'),
    ...wrap(a.systemPrompt),
    '── user prompt '.padEnd(width, '─'),
    ...wrap(a.userPrompt),
    '── response '.padEnd(width, '─'),
    ...response,
  ];
}
