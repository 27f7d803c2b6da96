import type { KeyName } from '../keys/key-binding.js';
import { SCREENS, type ScreenId } from '../keys/key-tables.js';
import { isPrintable } from '../keys/tokenize-keys.js';
import { parseFilter } from './filter-query.js';
import { clampCursor, moveCursor, START, type CursorMove, type ListCursor } from './list-cursor.js';
import { controlsReducer, initialControls, type ControlsAction, type ControlsState } from './controls.reducer.js';
import { isRefPair, searchWords, stepSearch } from './search.js';
import { nextSort, UNSORTED, type TableSort } from './table-sort.js';

/** Two things to compare: execution ids (or `e:<id>`) or attempts (`a:<id>`). */
export interface DiffPair {
  readonly a: string;
  readonly b: string;
  /** What the pair is, e.g. `attempts 1 → 2` or `us-east → eu-west`. */
  readonly label: string;
}

/** The question × model the cross-region screen shows. */
export interface CrossTarget {
  readonly jobId: string;
  readonly questionId: string;
  readonly modelId: string;
}

/**
 * The suspects list of the cross-region screen: a job's (question, model, variant) pairs most divergent across regions
 * first, then most refused. `cursor` is where the list was left when a pair was opened, so that esc returns to it.
 */
export interface SuspectsTarget {
  readonly jobId: string;
  readonly cursor: ListCursor;
}

/** The series the Trends screen shows: one id (a schedule with runs, else that job alone) or job ids of one spec. */
export interface TrendTarget {
  readonly ids: readonly string[];
  /** Jobs to show instead when the one id is not a schedule whose runs make a series (opened from a job). */
  readonly orJobs?: readonly string[];
}

/** How the Trends screen draws its series: refusal rates or label letters, and how many runs back from the newest it ends. */
export interface TrendViewport {
  readonly metric: 'rate' | 'labels';
  readonly back: number;
}

/** Zoom and horizontal position of the timeline; `offset` is where the window starts, as a fraction of the span. */
export interface TimelineViewport {
  readonly zoom: number;
  readonly offset: number;
  readonly details: boolean;
}

/** A place to go back to: the screen, and where its cursor was when it was left. */
export interface HistoryEntry {
  readonly screen: ScreenId;
  readonly cursor: ListCursor;
}

/** Everything the TUI remembers between key presses, except loaded data. */
export interface AppState {
  readonly screen: ScreenId;
  /** The way back, newest last: `esc` returns to the last entry with its cursor where it was. */
  readonly history: readonly HistoryEntry[];
  readonly help: boolean;
  /** Text of the open `/` or `:` prompt, or null. */
  readonly prompt: string | null;
  /** What the open prompt is: the screen's `/` filter, or the `:` command line. */
  readonly promptKind: 'filter' | 'command';
  readonly filters: Readonly<Record<ScreenId, string>>;
  readonly cursors: Readonly<Record<ScreenId, ListCursor>>;
  readonly jobId: string | null;
  readonly timeline: TimelineViewport;
  readonly diff: {
    readonly pairs: readonly DiffPair[];
    readonly refs: DiffPair | null;
    readonly unified: boolean;
    /** Fields that are the same on both sides shown in full, not cut to two lines. */
    readonly expanded: boolean;
  };
  readonly cross: CrossTarget | null;
  /** The suspects list shown by the cross-region screen when no question × model is open from it (see SuspectsTarget). */
  readonly suspects: SuspectsTarget | null;
  readonly trend: TrendTarget | null;
  readonly trendView: TrendViewport;
  /** A one-line message in the footer until the next key, e.g. why a key did nothing. */
  readonly status: string | null;
  /** Operator controls: the token's role and the open y/N question (see controls.reducer.ts). */
  readonly controls: ControlsState;
  /** How far the timeline's attempt details (prompts and response) are scrolled, for the lane they were scrolled on. */
  readonly detailScroll: DetailScroll;
  // --- search (`/` then `n`/`N` on the timeline and the diff) ---
  /** The row of the last match `n`/`N` landed on, per screen: the next step starts there, not at the cursor. */
  readonly searchAt: Readonly<Partial<Record<ScreenId, number>>>;
  // --- table sorting (`s` next column, `S` reverse) ---
  readonly sorts: Readonly<Partial<Record<ScreenId, TableSort>>>;
}

/** Lines scrolled from where the details pane starts, kept with the lane's execution: another lane starts at 0. */
export interface DetailScroll {
  readonly executionId: string | null;
  readonly lines: number;
}

export type AppAction =
  | { type: 'screen/next' }
  | { type: 'screen/previous' }
  | { type: 'back' }
  | { type: 'help/toggle' }
  | { type: 'status'; text: string }
  | { type: 'status/clear' }
  | { type: 'open/timeline'; jobId: string }
  | { type: 'open/diff'; pairs: readonly DiffPair[]; refs?: DiffPair }
  | { type: 'open/cross'; target: CrossTarget }
  /** `v`: the job's suspects list on the cross-region screen. */
  | { type: 'open/suspects'; jobId: string }
  /** enter on a suspect: its answers across regions; esc comes back to the list where it was left. */
  | { type: 'suspects/pick'; target: CrossTarget }
  | { type: 'prompt/open' }
  /** The `:` command line: `job ID`, `diff A B`, `findings [filter]`, `jobs [filter]`, `live`, `trend ID…`. */
  | { type: 'command/open' }
  /** Straight to a screen (the number keys). */
  | { type: 'screen/go'; screen: ScreenId }
  | { type: 'prompt/type'; text: string }
  | { type: 'prompt/backspace' }
  /** One key while the prompt is open: text, enter, esc, backspace, ctrl-u (clear), ctrl-w (delete a word). */
  | { type: 'prompt/key'; key: KeyName }
  | { type: 'prompt/accept' }
  | { type: 'prompt/cancel' }
  | { type: 'cursor'; screen: ScreenId; move: CursorMove; count: number; height: number }
  | { type: 'cursor/clamp'; screen: ScreenId; count: number; height: number }
  | { type: 'timeline/zoom'; direction: 1 | -1 }
  | { type: 'timeline/scroll'; direction: 1 | -1 }
  | { type: 'timeline/details' }
  | { type: 'diff/mode' }
  | { type: 'diff/expand' }
  | { type: 'diff/pairs' }
  | { type: 'open/trend'; target: TrendTarget }
  | { type: 'trend/metric' }
  /** Shows `step` runs older (1) or newer (-1); `runs` is the series' length, `shown` how many fit. */
  | { type: 'trend/scroll'; direction: 1 | -1; step: number; runs: number; shown: number }
  /** Operator controls (cancel, retry, pause, drain, concurrency): their own reducer, see controls.reducer.ts. */
  | ControlsAction
  /** Scrolls the attempt details of the lane `executionId` by `by` lines, within [min, max]. */
  | { type: 'details/scroll'; executionId: string; by: number; min: number; max: number }
  // --- search ---
  /**
   * `n` (1) / `N` (-1): the cursor to the next / previous row whose text holds every word of the screen's search
   * (`texts` are the screen's rows; `count` and `height` its cursor's list). `inclusive`: the first jump of a new
   * search, which may land on the row under the cursor.
   */
  | {
      type: 'search/step';
      screen: ScreenId;
      texts: readonly string[];
      direction: 1 | -1;
      inclusive?: boolean;
      count: number;
      height: number;
    }
  // --- table sorting ---
  /** `s`: sort the screen's table by its next sortable column (of `columns`), then back to the API's order. */
  | { type: 'sort/next'; screen: ScreenId; columns: number }
  /** `S`: the other direction. */
  | { type: 'sort/reverse'; screen: ScreenId };

export const MAX_ZOOM = 1024;
const HISTORY = 20;
const each = <T>(v: T): Record<ScreenId, T> => Object.fromEntries(SCREENS.map((s) => [s, v])) as Record<ScreenId, T>;

/** The state at start: the trend when ids were given, else the job's timeline when a job was given, else the jobs list. */
export function initialState(jobId: string | null = null, trendIds: readonly string[] | null = null): AppState {
  return {
    screen: trendIds?.length ? 'trends' : jobId ? 'timeline' : 'jobs',
    history: [],
    help: false,
    prompt: null,
    promptKind: 'filter',
    filters: each(''),
    cursors: each(START),
    jobId,
    timeline: { zoom: 1, offset: 0, details: false },
    diff: { pairs: [], refs: null, unified: false, expanded: false },
    cross: null,
    suspects: null,
    trend: trendIds?.length ? { ids: trendIds } : null,
    trendView: { metric: 'rate', back: 0 },
    status: null,
    controls: initialControls,
    detailScroll: { executionId: null, lines: 0 },
    searchAt: {},
    sorts: {},
  };
}

/** Pure state transitions of the TUI. */
export function appReducer(s: AppState, a: AppAction): AppState {
  switch (a.type) {
    case 'screen/next':
    case 'screen/previous': {
      const i = SCREENS.indexOf(s.screen);
      const step = a.type === 'screen/next' ? 1 : SCREENS.length - 1;
      // `s.screen` is one of SCREENS, so `i` is a valid index and so is the next one modulo the length.
      return go(s, SCREENS[(i + step) % SCREENS.length]!);
    }
    case 'back': {
      if (s.help) return { ...s, help: false };
      if (s.prompt !== null) return { ...s, prompt: null };
      if (s.screen === 'diff' && s.diff.refs && s.diff.pairs.length > 0) return { ...s, diff: { ...s.diff, refs: null } };
      // A pair opened from the suspects list: back to the list, its cursor where it was left.
      if (s.screen === 'cross' && s.cross && s.suspects) return { ...s, cross: null, cursors: { ...s.cursors, cross: s.suspects.cursor } };
      const previous = s.history.at(-1);
      if (previous === undefined) return s;
      return {
        ...s,
        screen: previous.screen,
        history: s.history.slice(0, -1),
        cursors: { ...s.cursors, [previous.screen]: previous.cursor },
      };
    }
    case 'help/toggle':
      return { ...s, help: !s.help };
    case 'status':
      return { ...s, status: a.text };
    case 'status/clear':
      return s.status === null ? s : { ...s, status: null };
    case 'open/timeline':
      return {
        ...go(s, 'timeline'),
        jobId: a.jobId,
        ...(a.jobId === s.jobId ? {} : { timeline: { zoom: 1, offset: 0, details: false }, cursors: { ...s.cursors, timeline: START } }),
      };
    case 'open/diff':
      return {
        ...go(s, 'diff'),
        diff: { ...s.diff, pairs: a.pairs, refs: a.refs ?? onlyPair(a.pairs) },
        cursors: { ...s.cursors, diff: START },
      };
    case 'open/cross':
      return { ...go(s, 'cross'), cross: a.target, suspects: null, cursors: { ...s.cursors, cross: START } };
    case 'open/suspects':
      return { ...go(s, 'cross'), cross: null, suspects: { jobId: a.jobId, cursor: START }, cursors: { ...s.cursors, cross: START } };
    case 'suspects/pick':
      return s.suspects === null
        ? s
        : {
            ...s,
            cross: a.target,
            suspects: { ...s.suspects, cursor: s.cursors.cross },
            cursors: { ...s.cursors, cross: START },
          };
    case 'prompt/open':
      return { ...s, prompt: s.filters[s.screen], promptKind: 'filter' };
    case 'command/open':
      return { ...s, prompt: '', promptKind: 'command' };
    case 'screen/go':
      return go(s, a.screen);
    case 'prompt/type':
      return s.prompt === null ? s : { ...s, prompt: s.prompt + printable(a.text) };
    case 'prompt/backspace':
      return s.prompt === null ? s : { ...s, prompt: s.prompt.slice(0, -1) };
    case 'prompt/key':
      return s.prompt === null ? s : promptKey(s, s.prompt, a.key);
    case 'prompt/cancel':
      return { ...s, prompt: null };
    case 'prompt/accept':
      return s.prompt === null ? s : submit(s, s.prompt);
    case 'cursor':
      return setCursor(s, a.screen, moveCursor(s.cursors[a.screen], a.move, a.count, a.height));
    case 'cursor/clamp':
      // A screen has no rows while it (re)loads, e.g. when `esc` brings it back: the cursor waits for them rather than
      // jumping to the first row, so going back returns to the row it was on.
      if (a.count <= 0) return s;
      return setCursor(s, a.screen, clampCursor(s.cursors[a.screen], a.count, a.height));
    case 'timeline/zoom': {
      const { zoom, offset } = s.timeline;
      const next = Math.min(MAX_ZOOM, Math.max(1, a.direction > 0 ? zoom * 2 : zoom / 2));
      const center = offset + 0.5 / zoom;
      return { ...s, timeline: { ...s.timeline, zoom: next, offset: clampOffset(center - 0.5 / next, next) } };
    }
    case 'timeline/scroll': {
      const { zoom, offset } = s.timeline;
      return { ...s, timeline: { ...s.timeline, offset: clampOffset(offset + (a.direction * 0.25) / zoom, zoom) } };
    }
    case 'timeline/details':
      return { ...s, timeline: { ...s.timeline, details: !s.timeline.details } };
    case 'diff/mode':
      return { ...s, diff: { ...s.diff, unified: !s.diff.unified } };
    case 'diff/expand':
      return { ...s, diff: { ...s.diff, expanded: !s.diff.expanded } };
    case 'diff/pairs':
      return s.diff.pairs.length > 0 ? { ...s, diff: { ...s.diff, refs: null } } : s;
    case 'open/trend':
      return {
        ...go(s, 'trends'),
        trend: a.target,
        trendView: { ...s.trendView, back: 0 },
        cursors: { ...s.cursors, trends: START },
        filters: { ...s.filters, trends: '' },
      };
    case 'trend/metric':
      return { ...s, trendView: { ...s.trendView, metric: s.trendView.metric === 'rate' ? 'labels' : 'rate' } };
    case 'trend/scroll': {
      const max = Math.max(0, a.runs - a.shown);
      const back = Math.min(max, Math.max(0, s.trendView.back + a.direction * a.step));
      return back === s.trendView.back ? s : { ...s, trendView: { ...s.trendView, back } };
    }
    /* ---- Operator controls: delegated whole to controlsReducer ---- */
    case 'controls/role':
    case 'controls/role-error':
    case 'controls/ask':
    case 'controls/ask-number':
    case 'controls/key':
    case 'controls/done': {
      const step = controlsReducer(s.controls, a);
      return { ...s, controls: step.controls, ...(step.status === undefined ? {} : { status: step.status }) };
    }
    /* ---- end of operator controls ---- */
    case 'details/scroll': {
      const from = s.detailScroll.executionId === a.executionId ? s.detailScroll.lines : 0;
      const lines = Math.min(a.max, Math.max(a.min, from + a.by));
      return s.detailScroll.executionId === a.executionId && lines === from
        ? s
        : { ...s, detailScroll: { executionId: a.executionId, lines } };
    }
    case 'search/step':
      return searchStep(s, a);
    case 'sort/next':
      return { ...s, sorts: { ...s.sorts, [a.screen]: nextSort(s.sorts[a.screen] ?? UNSORTED, a.columns) } };
    case 'sort/reverse': {
      const sort = s.sorts[a.screen] ?? UNSORTED;
      if (sort.column < 0) return { ...s, status: 'not sorted: press s to sort by a column' };
      return { ...s, sorts: { ...s.sorts, [a.screen]: { ...sort, descending: !sort.descending } } };
    }
  }
}

/** The words a screen searches for: the timeline's free words (its `key=value` words filter), the diff's text. */
export function searchOf(s: AppState, screen: ScreenId): readonly string[] {
  if (screen === 'timeline' || screen === 'diff') return searchWords(s.filters[screen]);
  return [];
}

function searchStep(s: AppState, a: Extract<AppAction, { type: 'search/step' }>): AppState {
  const words = searchOf(s, a.screen);
  if (words.length === 0) return { ...s, status: 'no search: press / and type words to find, then n / N' };
  const cursor = s.cursors[a.screen];
  const from = s.searchAt[a.screen] ?? cursor.index;
  const hit = stepSearch(a.texts, words, from, a.direction, a.inclusive ?? false);
  const what = `"${words.join(' ')}"`;
  if (!hit) return { ...s, status: `no match for ${what}${a.screen === 'timeline' ? ' in the loaded lanes' : ''}` };
  const moved = setCursor(s, a.screen, clampCursor({ index: hit.index, top: cursor.top }, a.count, a.height));
  return { ...moved, searchAt: { ...s.searchAt, [a.screen]: hit.index }, status: `match ${hit.ordinal}/${hit.total} for ${what}` };
}

/** Only the printable characters of typed or pasted text: a control character in a filter would corrupt the line. */
function printable(text: string): string {
  let out = '';
  for (const c of text) if (isPrintable(c.codePointAt(0) ?? 0)) out += c;
  return out;
}

/** One key in the open prompt (readline's editing keys: ctrl-u clears, ctrl-w deletes the word before the cursor). */
function promptKey(s: AppState, prompt: string, key: KeyName): AppState {
  switch (key) {
    case 'return':
      return submit(s, prompt);
    case 'escape':
      return { ...s, prompt: null };
    case 'backspace':
      return prompt === '' ? s : { ...s, prompt: [...prompt].slice(0, -1).join('') };
    case 'space':
      return { ...s, prompt: prompt + ' ' };
    case 'ctrl:u':
      return prompt === '' ? s : { ...s, prompt: '' };
    case 'ctrl:w':
      return prompt === '' ? s : { ...s, prompt: prompt.replace(/\S*\s*$/, '') };
    default:
      return key.startsWith('char:') ? { ...s, prompt: prompt + printable(key.slice(5)) } : s;
  }
}

/** Enter in the prompt: a filter applies to the screen, a command goes where it says. */
function submit(s: AppState, prompt: string): AppState {
  const closed = { ...s, prompt: null, promptKind: 'filter' as const };
  return s.promptKind === 'command' ? runCommand(closed, prompt.trim()) : accept(closed, prompt.trim());
}

export const COMMAND_HELP = 'job ID · diff A B · findings [filter] · jobs [filter] · live · trend ID…';

/** The `:` command line. An unknown or incomplete command says what it takes in the status line. */
export function runCommand(s: AppState, text: string): AppState {
  const [verb = '', ...args] = text.split(/\s+/).filter(Boolean);
  const rest = args.join(' ');
  switch (verb) {
    case '':
      return s;
    case 'job':
    case 'timeline':
      return args[0] ? appReducer(s, { type: 'open/timeline', jobId: args[0] }) : { ...s, status: `:${verb} needs a job id` };
    case 'diff': {
      const [a, b] = args;
      if (!a || !b) return { ...s, status: ':diff needs two refs: execution ids, a:<attempt id> or l:<legacy id>' };
      const pair = { a, b, label: `${a} → ${b}` };
      return appReducer(s, { type: 'open/diff', pairs: [pair], refs: pair });
    }
    case 'findings':
    case 'jobs':
    case 'live': {
      const moved = go(s, verb);
      return { ...moved, filters: { ...moved.filters, [verb]: rest }, cursors: { ...moved.cursors, [verb]: START } };
    }
    case 'trend':
    case 'trends':
      return args.length > 0 ? appReducer(s, { type: 'open/trend', target: { ids: args } }) : go(s, 'trends');
    default:
      return { ...s, status: `unknown command "${verb}": ${COMMAND_HELP}` };
  }
}

/** The pair to show straight away: the only one, if there is exactly one. */
function onlyPair(pairs: readonly DiffPair[]): DiffPair | null {
  const [first, ...rest] = pairs;
  return first !== undefined && rest.length === 0 ? first : null;
}

function go(s: AppState, screen: ScreenId): AppState {
  if (screen === s.screen) return { ...s, help: false };
  const left: HistoryEntry = { screen: s.screen, cursor: s.cursors[s.screen] };
  return { ...s, screen, help: false, prompt: null, history: [...s.history, left].slice(-HISTORY) };
}

function setCursor(s: AppState, screen: ScreenId, c: ListCursor): AppState {
  return c === s.cursors[screen] ? s : { ...s, cursors: { ...s.cursors, [screen]: c } };
}

function clampOffset(offset: number, zoom: number): number {
  return Math.min(Math.max(0, offset), 1 - 1 / zoom);
}

/** Applies the prompt's text to the current screen: a filter, two refs to compare, or a question × model. */
function accept(s: AppState, text: string): AppState {
  if (s.screen === 'diff') {
    // Two refs compare; any other text searches the diff (`n`/`N`), the cursor staying where it is.
    if (!isRefPair(text)) return { ...s, filters: { ...s.filters, diff: text }, searchAt: { ...s.searchAt, diff: undefined } };
    const [a = '', b = ''] = text.split(/[\s,]+/).filter(Boolean);
    return { ...s, diff: { ...s.diff, refs: { a, b, label: `${a} → ${b}` } } };
  }
  if (s.screen === 'cross') {
    const { fields } = parseFilter(text);
    const jobId = fields.job ?? s.cross?.jobId ?? s.jobId;
    const questionId = fields.question ?? s.cross?.questionId;
    const modelId = fields.model ?? s.cross?.modelId;
    if (!jobId || !questionId || !modelId) return s;
    return { ...s, cross: { jobId, questionId, modelId }, cursors: { ...s.cursors, cross: START } };
  }
  return {
    ...s,
    filters: { ...s.filters, [s.screen]: text },
    cursors: { ...s.cursors, [s.screen]: START },
    searchAt: { ...s.searchAt, [s.screen]: undefined },
  };
}
