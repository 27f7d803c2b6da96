import { useMemo, useReducer, useState } from 'react';
import { Box, useApp, useInput } from 'ink';
import type { TuiApi } from './api/tui-api.js';
import { useLiveEvents } from './hooks/use-live-events.js';
import { ScreenKeysContext, type KeyHandler } from './hooks/use-screen-keys.js';
import { useStore } from './hooks/use-store.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { matchKey } from './keys/key-binding.js';
import { GLOBAL_KEYS, HELP_KEYS, PROMPT_KEYS, SCREEN_KEYS, type ScreenId } from './keys/key-tables.js';
import { CrossRegionScreen } from './screens/cross-region-screen.js';
import { DiffScreen } from './screens/diff-screen.js';
import { FindingsScreen } from './screens/findings-screen.js';
import { JobsScreen } from './screens/jobs-screen.js';
import { LiveTailScreen } from './screens/live-tail-screen.js';
import { TimelineScreen } from './screens/timeline-screen.js';
import { TrendsScreen } from './screens/trends-screen.js';
import { appReducer, initialState } from './state/app.reducer.js';
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
}

const PROMPT_LABEL: Record<ScreenId, string> = {
  jobs: 'filter jobs',
  live: 'filter events (job= region= model= state= classification=)',
  timeline: 'lanes (region= model= question=)',
  diff: 'compare (A B)',
  cross: 'question= model=',
  findings: 'filter findings',
  trends: 'cells (question= model= region= flips=yes)',
};

/** The operator TUI: seven screens over the runner API, one key table per screen. */
export function App({ api, jobId = null, trend = null, theme = { color: true }, liveBuffer = LIVE_BUFFER, label = '' }: AppProps) {
  const [state, dispatch, current] = useStore(appReducer, () => initialState(jobId, trend));
  const [screenKeys] = useState(() => new Map<ScreenId, KeyHandler>());
  const [live, liveDispatch] = useReducer(liveTailReducer, liveBuffer, initialLiveTail);
  const noFilter = useMemo(() => ({}), []);
  useLiveEvents(api, liveDispatch, noFilter, liveBuffer);
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();

  // The only input handler: keys go to the prompt, the help, the app or the current screen, judged against the state
  // the previous key left (a fast typist or a paste is faster than React renders).
  useInput((input, key) => {
    const s = current();
    if (s.prompt !== null) {
      const c = matchKey(PROMPT_KEYS, input, key);
      if (c === 'accept') dispatch({ type: 'prompt/accept' });
      else if (c === 'cancel') dispatch({ type: 'prompt/cancel' });
      else if (key.backspace || key.delete) dispatch({ type: 'prompt/backspace' });
      else if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow)
        dispatch({ type: 'prompt/type', text: input });
      return;
    }
    const c = matchKey(s.help ? HELP_KEYS : GLOBAL_KEYS, input, key);
    if (c === 'quit') exit();
    else if (c === 'help') dispatch({ type: 'help/toggle' });
    else if (c === 'back') dispatch({ type: 'back' });
    else if (c === 'next') dispatch({ type: 'screen/next' });
    else if (c === 'previous') dispatch({ type: 'screen/previous' });
    else if (!s.help) screenKeys.get(s.screen)?.(input, key);
  });

  // One row short of the terminal: a frame as tall as the terminal makes Ink clear the screen on every render.
  const height = Math.max(4, rows - 1);
  const bodyHeight = height - 2;
  const props = { api, state, dispatch, width: columns, height: bodyHeight };
  const table = state.help ? HELP_KEYS : [...SCREEN_KEYS[state.screen], ...GLOBAL_KEYS];
  // The body clips only rows that would not fit: every line in it is cut at the width already (auto-width boxes, text
  // truncated or wrapped to its box), and a horizontal clip makes Ink measure and slice-ansi every line of every frame.
  // Trends screen at 1,000 runs × 72 cells, 120 × 40 (bench/trends-tui.mjs on a synthetic series, 2 shared cores, load
  // 3.4–3.7, A/B alternated): move p50 32.6/28.8 ms with `overflow`, 24.3/18.6 ms with `overflowY` alone.
  return (
    <ThemeContext.Provider value={theme}>
      <ScreenKeysContext.Provider value={screenKeys}>
        <Box flexDirection="column" width={columns} height={height}>
          <Header screen={state.screen} width={columns} right={label} />
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
            ) : (
              <FindingsScreen {...props} />
            )}
          </Box>
          <Footer table={table} width={columns} prompt={state.prompt} promptLabel={PROMPT_LABEL[state.screen]} />
        </Box>
      </ScreenKeysContext.Provider>
    </ThemeContext.Provider>
  );
}
