export type { TuiApi, TimelineQuery, FindingsQuery, LiveEventQuery, ExecutionsQuery } from './api/tui-api.js';
export { App, type AppProps } from './app.js';
export { runTui, isInteractive, NotInteractiveError, type RunTuiOptions } from './run-tui.js';
export { themeFromEnv, type Theme } from './views/theme.js';
