import { ch, type KeyTable } from './key-binding.js';

/** Screens of the TUI, in tab order. */
export const SCREENS = ['jobs', 'live', 'timeline', 'diff', 'cross', 'findings', 'trends', 'daemons'] as const;
export type ScreenId = (typeof SCREENS)[number];

/** Screen titles for the header and help. */
export const SCREEN_TITLES: Record<ScreenId, string> = {
  jobs: 'Jobs',
  live: 'Live',
  timeline: 'Timeline',
  diff: 'Diff',
  cross: 'Cross-region',
  findings: 'Findings',
  trends: 'Trends',
  // Short: at 80 columns the header's eight tabs must leave room for the connection glyph at its right end.
  daemons: 'Fleet',
};

const up = { command: 'up', keys: ['up', ch('k')], label: 'k', hint: 'up', help: 'move up', secondary: true } as const;
const down = { command: 'down', keys: ['down', ch('j')], label: 'j/k', hint: 'move', help: 'move down' } as const;
const pageUp = {
  command: 'pageUp',
  keys: ['pageUp', ch('b'), 'ctrl:u'],
  label: 'PgUp',
  hint: 'page up',
  help: 'one page up',
  secondary: true,
} as const;
// `n` is the search's next match (vim and less habit); a page down is PgDn, ctrl-d or space (less's keys).
const pageDown = {
  command: 'pageDown',
  keys: ['pageDown', 'ctrl:d', 'space'],
  label: 'PgDn',
  hint: 'page down',
  help: 'one page down',
  secondary: true,
} as const;
const top = { command: 'top', keys: ['home', ch('g')], label: 'g', hint: 'top', help: 'go to the first row', secondary: true } as const;
const bottom = {
  command: 'bottom',
  keys: ['end', ch('G')],
  label: 'G',
  hint: 'bottom',
  help: 'go to the last row',
  secondary: true,
} as const;
const nav = [up, down, pageUp, pageDown, top, bottom];
/** The Live screen's: there `space` pauses the tail. */
const liveNav = [up, down, pageUp, { ...pageDown, keys: ['pageDown', 'ctrl:d'] } as const, top, bottom];

/** `n` / `N` after a `/` search (timeline and diff). */
const searchKeys = [
  { command: 'searchNext', keys: [ch('n')], label: 'n/N', hint: 'next match', help: 'next match of the / search (N: previous)' },
  {
    command: 'searchPrevious',
    keys: [ch('N')],
    label: 'N',
    hint: 'previous match',
    help: 'previous match of the / search',
    secondary: true,
  },
] as const;

/** Keys that work on every screen (unless a text prompt is open). */
export const GLOBAL_KEYS = [
  { command: 'next', keys: ['tab'], label: 'tab', hint: 'screens', help: 'next screen' },
  { command: 'previous', keys: ['shiftTab'], label: 'S-tab', hint: 'back a screen', help: 'previous screen', secondary: true },
  { command: 'back', keys: ['escape'], label: 'esc', hint: 'back', help: 'back to where you came from' },
  {
    command: 'command',
    keys: [ch(':')],
    label: ':',
    hint: 'command',
    help: 'command line: job ID, diff A B, findings [filter], jobs [filter], live, trend ID',
    secondary: true,
  },
  ...SCREENS.map((screen, i) => ({
    command: `screen:${screen}` as const,
    keys: [ch(String(i + 1))],
    label: String(i + 1),
    hint: SCREEN_TITLES[screen].toLowerCase(),
    help: `the ${SCREEN_TITLES[screen]} screen`,
    secondary: true,
  })),
  { command: 'help', keys: [ch('?')], label: '?', hint: 'help', help: 'show or hide this help' },
  { command: 'quit', keys: [ch('q')], label: 'q', hint: 'quit', help: 'quit' },
] as const satisfies KeyTable;

/** Keys while the help is shown. */
export const HELP_KEYS = [
  { command: 'help', keys: [ch('?'), 'escape'], label: '?/esc', hint: 'close help', help: 'close this help' },
  { command: 'quit', keys: [ch('q')], label: 'q', hint: 'quit', help: 'quit' },
] as const satisfies KeyTable;

export const JOBS_KEYS = [
  ...nav,
  { command: 'open', keys: ['return'], label: 'enter', hint: 'timeline', help: "open the job's timeline" },
  { command: 'trend', keys: [ch('t')], label: 't', hint: 'trend', help: "the job's runs across time: its schedule's, else the job alone" },
  {
    command: 'suspects',
    keys: [ch('v')],
    label: 'v',
    hint: 'suspects',
    help: "the job's questions × models most divergent across regions first, then most refused",
    secondary: true,
  },
  { command: 'filter', keys: [ch('/')], label: '/', hint: 'filter', help: 'filter jobs by id or status' },
  { command: 'sort', keys: [ch('s')], label: 's/S', hint: 'sort', help: 'sort by the next column (then back to newest first); S reverses' },
  { command: 'sortReverse', keys: [ch('S')], label: 'S', hint: 'reverse', help: 'reverse the sort', secondary: true },
  { command: 'refresh', keys: [ch('r')], label: 'r', hint: 'refresh', help: 'reload the list', secondary: true },
  ...jobControlKeys('the selected job'),
] as const satisfies KeyTable;

export const LIVE_KEYS = [
  ...liveNav,
  { command: 'pause', keys: ['space'], label: 'space', hint: 'pause', help: 'pause or resume the tail (events keep arriving)' },
  { command: 'follow', keys: [ch('f')], label: 'f', hint: 'follow', help: 'follow the newest event' },
  {
    command: 'filter',
    keys: [ch('/')],
    label: '/',
    hint: 'filter',
    help: 'filter: job=… region=… model=… state=… classification=… or words',
  },
  { command: 'open', keys: ['return'], label: 'enter', hint: 'timeline', help: "open the event's job timeline", secondary: true },
] as const satisfies KeyTable;

export const TIMELINE_KEYS = [
  ...nav,
  { command: 'details', keys: ['return'], label: 'enter', hint: 'attempts', help: "show or hide the lane's attempts" },
  {
    command: 'detailsDown',
    keys: [ch('J')],
    label: 'J/K',
    hint: 'scroll details',
    help: "scroll the attempt details (the last attempt's prompts and response) down",
    secondary: true,
  },
  { command: 'detailsUp', keys: [ch('K')], label: 'K', hint: 'details up', help: 'scroll the attempt details up', secondary: true },
  { command: 'zoomIn', keys: [ch('+'), ch('=')], label: '+/-', hint: 'zoom', help: 'zoom in' },
  { command: 'zoomOut', keys: [ch('-'), ch('_')], label: '-', hint: 'zoom out', help: 'zoom out', secondary: true },
  { command: 'scrollLeft', keys: ['left', ch('h')], label: 'h/l', hint: 'scroll', help: 'scroll back in time' },
  { command: 'scrollRight', keys: ['right', ch('l')], label: 'l', hint: 'scroll right', help: 'scroll forward in time', secondary: true },
  {
    command: 'diff',
    keys: [ch('d')],
    label: 'd',
    hint: 'diff',
    help: 'compare the lane: its attempts, or the same question and model in other regions',
  },
  { command: 'cross', keys: [ch('c')], label: 'c', hint: 'regions', help: "every region's answer to this question and model" },
  {
    command: 'copy',
    keys: [ch('y')],
    label: 'y',
    hint: 'copy id',
    help: "copy the trace id of the lane's last attempt (else its execution id) to the clipboard",
    secondary: true,
  },
  ...searchKeys,
  {
    command: 'filter',
    keys: [ch('/')],
    label: '/',
    hint: 'search',
    help: 'filter lanes (region=… model=… question=…); other words search them (n/N)',
  },
  { command: 'refresh', keys: [ch('r')], label: 'r', hint: 'refresh', help: 'reload the visible lanes', secondary: true },
  ...jobControlKeys("this timeline's job"),
] as const satisfies KeyTable;

export const DIFF_KEYS = [
  ...nav,
  { command: 'open', keys: ['return'], label: 'enter', hint: 'compare', help: 'compare the selected pair' },
  { command: 'mode', keys: [ch('u')], label: 'u', hint: 'unified/split', help: 'toggle side by side and unified' },
  { command: 'expand', keys: [ch('x')], label: 'x', hint: 'expand', help: 'show fields that are the same on both sides in full' },
  { command: 'pairs', keys: [ch('p')], label: 'p', hint: 'pairs', help: 'back to the list of pairs', secondary: true },
  ...searchKeys,
  {
    command: 'filter',
    keys: [ch('/')],
    label: '/',
    hint: 'search/refs',
    help: 'words: search the diff (n/N); two refs A B (ids, a:<attempt id>, l:<legacy id>): compare them',
  },
] as const satisfies KeyTable;

export const CROSS_KEYS = [
  ...nav,
  {
    command: 'open',
    keys: ['return'],
    label: 'enter',
    hint: 'diff',
    help: 'diff this region against the first one (in the suspects list: its answers across regions)',
  },
  {
    command: 'suspects',
    keys: [ch('v')],
    label: 'v',
    hint: 'suspects',
    help: "the job's questions × models most divergent across regions first, then most refused (esc from one: back to it)",
  },
  {
    command: 'filter',
    keys: [ch('/')],
    label: '/',
    hint: 'pick',
    help: 'pick the question and model: question=… model=…',
    secondary: true,
  },
] as const satisfies KeyTable;

export const FINDINGS_KEYS = [
  ...nav,
  {
    command: 'open',
    keys: ['return'],
    label: 'enter',
    hint: 'evidence',
    help: 'jump to the evidence: a diff of its first two executions, else the timeline',
  },
  { command: 'timeline', keys: [ch('t')], label: 't', hint: 'timeline', help: "open the finding's job timeline" },
  { command: 'copy', keys: [ch('y')], label: 'y', hint: 'copy id', help: "copy the finding's id to the clipboard", secondary: true },
  { command: 'filter', keys: [ch('/')], label: '/', hint: 'filter', help: 'filter by rule, severity, job or words' },
  { command: 'refresh', keys: [ch('r')], label: 'r', hint: 'refresh', help: 'reload the findings', secondary: true },
] as const satisfies KeyTable;

export const TRENDS_KEYS = [
  ...nav,
  { command: 'metric', keys: [ch('m')], label: 'm', hint: 'rate/labels', help: 'show refusal rates or label letters across runs' },
  { command: 'older', keys: ['left', ch('h')], label: 'h/l', hint: 'runs', help: 'show older runs' },
  { command: 'newer', keys: ['right', ch('l')], label: 'l', hint: 'newer runs', help: 'show newer runs', secondary: true },
  {
    command: 'open',
    keys: ['return'],
    label: 'enter',
    hint: 'regions',
    help: "the newest run's answers to this question and model, every region",
  },
  { command: 'filter', keys: [ch('/')], label: '/', hint: 'filter', help: 'filter cells: question=… model=… region=… flips=yes or words' },
  { command: 'refresh', keys: [ch('r')], label: 'r', hint: 'refresh', help: 'reload the series', secondary: true },
] as const satisfies KeyTable;

/* ---- Operator controls: each asks y/N first, and says why when the token's role may not use it ---- */

/** Cancel, retry, pause and resume of a job (the Jobs list's selected job, the Timeline's job). */
function jobControlKeys(which: string) {
  return [
    { command: 'cancel', keys: [ch('x')], label: 'x', hint: 'cancel job', help: `cancel ${which} (asks y/N)`, secondary: true },
    {
      command: 'retry',
      keys: [ch('R')],
      label: 'R',
      hint: 'retry failed',
      help: `re-run every failed cell of ${which}, earlier attempts kept (operator; asks y/N)`,
      secondary: true,
    },
    { command: 'pauseJob', keys: [ch('p')], label: 'p', hint: 'pause job', help: `pause ${which} (operator; asks y/N)`, secondary: true },
    {
      command: 'resumeJob',
      keys: [ch('P')],
      label: 'P',
      hint: 'resume job',
      help: `resume ${which} (operator; asks y/N)`,
      secondary: true,
    },
  ] as const;
}

export const DAEMONS_KEYS = [
  ...nav,
  {
    command: 'drain',
    keys: [ch('d')],
    label: 'd',
    hint: 'drain/undrain',
    help: 'on a daemon: drain it (claims nothing more), or let a draining one claim again (operator; asks y/N)',
  },
  {
    command: 'pauseKey',
    keys: [ch('p')],
    label: 'p/P',
    hint: 'pause/resume',
    help: 'on a region and model: pause it on every daemon (operator; asks y/N)',
  },
  {
    command: 'resumeKey',
    keys: [ch('P')],
    label: 'P',
    hint: 'resume',
    help: 'on a region and model: resume it (operator; asks y/N)',
    secondary: true,
  },
  {
    command: 'concurrency',
    keys: [ch('c')],
    label: 'c',
    hint: 'concurrency',
    help: "on a region and model: calls in flight per daemon, empty for the region's (operator; asks y/N)",
  },
  { command: 'refresh', keys: [ch('r')], label: 'r', hint: 'refresh', help: 'reload daemons and controls', secondary: true },
] as const satisfies KeyTable;

/* ---- end of operator controls ---- */

/** Keys of the `/` prompt. */
export const PROMPT_KEYS = [
  { command: 'accept', keys: ['return'], label: 'enter', hint: 'apply', help: 'apply' },
  { command: 'cancel', keys: ['escape'], label: 'esc', hint: 'cancel', help: 'cancel' },
] as const satisfies KeyTable;

/** Each screen's table. */
export const SCREEN_KEYS: Record<ScreenId, KeyTable> = {
  jobs: JOBS_KEYS,
  live: LIVE_KEYS,
  timeline: TIMELINE_KEYS,
  diff: DIFF_KEYS,
  cross: CROSS_KEYS,
  findings: FINDINGS_KEYS,
  trends: TRENDS_KEYS,
  daemons: DAEMONS_KEYS,
};

/** Commands of one table. */
export type CommandOf<T extends KeyTable> = T[number]['command'];
