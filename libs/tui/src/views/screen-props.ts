import type { Dispatch } from 'react';
import type { TuiApi } from '../api/tui-api.js';
import type { AppAction, AppState } from '../state/app.reducer.js';

/** What the TUI reaches outside itself: the trace link template, and the terminal's clipboard. */
export interface TuiIo {
  /** `BEACON_TRACE_URL`, e.g. `https://tempo.example/trace/{traceId}`; null when unset. */
  readonly traceUrl: string | null;
  /** Puts text on the clipboard (OSC 52 to the terminal). */
  copy(text: string): void;
}

/** What every screen gets: the API, the app state, and the box it draws in. */
export interface ScreenProps {
  readonly api: TuiApi;
  readonly state: AppState;
  readonly dispatch: Dispatch<AppAction>;
  readonly width: number;
  readonly height: number;
  readonly io: TuiIo;
}
