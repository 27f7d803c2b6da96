import { useEffect, useMemo, useReducer, useState } from 'react';
import { Box, useApp, useInput } from 'ink';
import { controlErrorText, runControl } from './api/run-control.js';
import type { TuiApi } from './api/tui-api.js';
import { useLiveEvents } from './hooks/use-live-events.js';
import { ResourceCacheContext, type ResourceCache } from './hooks/use-resource.js';
import { ScreenKeysContext, type KeyHandler } from './hooks/use-screen-keys.js';
import { useStore } from './hooks/use-store.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { matchKey, type KeyName } from './keys/key-binding.js';
import { GLOBAL_KEYS, HELP_KEYS, SCREEN_KEYS, type ScreenId } from './keys/key-tables.js';
import { keysFromInk, wheelSteps } from './keys/tokenize-keys.js';
import { CrossRegionScreen } from './screens/cross-region-screen.js';
import { DaemonsScreen } from './screens/daemons-screen.js';
import { DiffScreen } from './screens/diff-screen.js';
import { FindingsScreen } from './screens/findings-screen.js';
import { JobsScreen } from './screens/jobs-screen.js';
import { LiveTailScreen } from './screens/live-tail-screen.js';
import { TimelineScreen } from './screens/timeline-screen.js';
import { TrendsScreen } from './screens/trends-screen.js';
import { appReducer, initialState } from './state/app.reducer.js';
import { connectionText } from './state/connection.js';
import { controlPrompt } from './state/controls.reducer.js';
import { initialLiveTail, LIVE_BUFFER, liveTailReducer } from './state/live-tail.reducer.js';
import { Footer, Header, HelpOverlay } from './views/chrome.js';
import { ThemeContext, type Theme } from './views/theme.js';

/** Props of the TUI. */
export interface AppProps {
  readonly api: TuiApi;
  /** Open this job's timeline first. @default the jobs list */
  readonly jobId?: string | null;
  /** Open the Trends screen first: a schedule id, or job ids of one spec. */
  readonly trend?: readonly string[] | null;
  /** @default colour */
  readonly theme?: Theme;
  /** Events the live tail keeps. @default 5000 */
  readonly liveBuffer?: number;
  /** Shown at the right of the header, e.g. the API address. */
  readonly label?: string;
  /** The trace link template (`BEACON_TRACE_URL`, `{traceId}` filled in). @default none */
  readonly traceUrl?: string | null;
  /** Puts text on the clipboard. @default nothing (the caller owns the terminal) */
  readonly copy?: (text: string) => void;
}

const noCopy = () => undefined;

const PROMPT_LABEL: Record<ScreenId, string> = {
  jobs: 'filter jobs',
  live: 'filter events (job= region= model= state= classification=)',
  timeline: 'lanes (region= model= question=) or search',
  diff: 'search, or compare (A B)',
  cross: 'question= model=',
  findings: 'filter findings',
  trends: 'cells (question= model= region= flips=yes)',
  daemons: 'daemons',
};

/** The operator TUI: seven screens over the runner API, one key table per screen. */
export function App({
  api,
  jobId = null,
  trend = null,
  theme = { color: true },
  liveBuffer = LIVE_BUFFER,
  label = '',
  traceUrl = null,
  copy = noCopy,
}: AppProps) {
  const [state, dispatch, current] = useStore(appReducer, () => initialState(jobId, trend));
  const [screenKeys] = useState(() => new Map<ScreenId, KeyHandler>());
  const [resources] = useState<ResourceCache>(() => new Map());
  const [live, liveDispatch] = useReducer(liveTailReducer, liveBuffer, initialLiveTail);
  const noFilter = useMemo(() => ({}), []);
  useLiveEvents(api, liveDispatch, noFilter, liveBuffer);
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();

  // The only input handler: each key of a chunk (a paste, a fast typist and `tmux send-keys` send several keys in one
  // read) goes to the prompt, the help, the app or the current screen, judged against the state the previous key left
  // (keys arrive faster than React renders).
  const onKey = (k: KeyName): boolean => {
    if (current().status !== null) dispatch({ type: 'status/clear' });
    const s = current();
    // An open y/N question or number prompt of an operator control takes every key until it is answered.
    if (s.controls.mode.kind === 'confirm' || s.controls.mode.kind === 'number') {
      dispatch({ type: 'controls/key', key: k });
      return true;
    }
    if (s.prompt !== null) {
      dispatch({ type: 'prompt/key', key: k });
      return true;
    }
    // The mouse wheel moves as the arrow keys do, a few rows a notch; over the help it does nothing.
    if (k === 'wheelUp' || k === 'wheelDown') {
      if (!s.help) for (const step of wheelSteps(k)) screenKeys.get(s.screen)?.(step);
      return true;
    }
    const c = matchKey(s.help ? HELP_KEYS : GLOBAL_KEYS, k);
    if (c === 'quit') {
      exit();
      return false;
    }
    if (c === 'help') dispatch({ type: 'help/toggle' });
    else if (c === 'back') dispatch({ type: 'back' });
    else if (c === 'next') dispatch({ type: 'screen/next' });
    else if (c === 'previous') dispatch({ type: 'screen/previous' });
    else if (c === 'command') dispatch({ type: 'command/open' });
    else if (c?.startsWith('screen:')) dispatch({ type: 'screen/go', screen: c.slice(7) as ScreenId });
    else if (!s.help) screenKeys.get(s.screen)?.(k);
    return true;
  };
  useInput((input, key) => {
    for (const k of keysFromInk(input, key)) if (!onKey(k)) return;
  });

  // Operator controls: the token's role decides which are offered; a confirmed control is sent once, when its mode
  // becomes `sending`, and the API's answer (or refusal) goes to the status line.
  useEffect(() => {
    let live = true;
    // Through a promise: an API object without `whoami` (a test's or a benchmark's stand-in) leaves the controls off.
    Promise.resolve()
      .then(() => api.whoami())
      .then(
        (w) => live && dispatch({ type: 'controls/role', role: w.role }),
        (err: unknown) => live && dispatch({ type: 'controls/role-error', message: controlErrorText(err) }),
      );
    return () => {
      live = false;
    };
  }, [api, dispatch]);
  const sending = state.controls.mode.kind === 'sending' ? state.controls.mode.control : null;
  useEffect(() => {
    if (sending === null) return;
    runControl(api, sending).then(
      (text) => dispatch({ type: 'controls/done', text }),
      (err: unknown) => dispatch({ type: 'controls/done', text: controlErrorText(err) }),
    );
  }, [api, dispatch, sending]);

  // One row short of the terminal: a frame as tall as the terminal makes Ink clear the screen on every render.
  const height = Math.max(4, rows - 1);
  const bodyHeight = height - 2;
  const io = useMemo(() => ({ traceUrl, copy }), [traceUrl, copy]);
  const props = { api, state, dispatch, width: columns, height: bodyHeight, io };
  const table = state.help ? HELP_KEYS : [...SCREEN_KEYS[state.screen], ...GLOBAL_KEYS];
  // The body clips only rows that would not fit: every line in it is cut at the width already (auto-width boxes, text
  // truncated or wrapped to its box), and a horizontal clip makes Ink measure and slice-ansi every line of every frame.
  // Trends screen at 1,000 runs × 72 cells, 120 × 40 (bench/trends-tui.mjs on a synthetic series, 2 shared cores, load
  // 3.4–3.7, A/B alternated): move p50 32.6/28.8 ms with `overflow`, 24.3/18.6 ms with `overflowY` alone.
  return (
    <ThemeContext.Provider value={theme}>
      <ScreenKeysContext.Provider value={screenKeys}>
        <ResourceCacheContext.Provider value={resources}>
          <Box flexDirection="column" width={columns} height={height}>
            <Header screen={state.screen} width={columns} right={`${connectionText(live.connection).slice(0, 1)} ${label}`.trim()} />
            <Box flexDirection="column" height={bodyHeight} overflowY="hidden">
              {state.help ? (
                <HelpOverlay screen={state.screen} width={columns} height={bodyHeight} />
              ) : state.screen === 'jobs' ? (
                <JobsScreen {...props} />
              ) : state.screen === 'live' ? (
                <LiveTailScreen {...props} live={live} liveDispatch={liveDispatch} />
              ) : state.screen === 'timeline' ? (
                <TimelineScreen {...props} />
              ) : state.screen === 'diff' ? (
                <DiffScreen {...props} />
              ) : state.screen === 'cross' ? (
                <CrossRegionScreen {...props} />
              ) : state.screen === 'trends' ? (
                <TrendsScreen {...props} />
              ) : state.screen === 'daemons' ? (
                <DaemonsScreen {...props} />
              ) : (
                <FindingsScreen {...props} />
              )}
            </Box>
            <Footer
              table={table}
              width={columns}
              prompt={state.prompt}
              promptLabel={state.promptKind === 'command' ? 'command (job ID, diff A B, findings …)' : PROMPT_LABEL[state.screen]}
              status={state.status}
              question={controlPrompt(state.controls)}
              active={state.filters[state.screen]}
            />
          </Box>
        </ResourceCacheContext.Provider>
      </ScreenKeysContext.Provider>
    </ThemeContext.Provider>
  );
}
