import type { Dispatch } from 'react';
import type { TuiApi } from '../api/tui-api.js';
import type { AppAction, AppState } from '../state/app.reducer.js';

/** What every screen gets: the API, the app state, and the box it draws in. */
export interface ScreenProps {
  readonly api: TuiApi;
  readonly state: AppState;
  readonly dispatch: Dispatch<AppAction>;
  readonly width: number;
  readonly height: number;
}
