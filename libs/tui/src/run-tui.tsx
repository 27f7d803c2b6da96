import { render } from 'ink';
import type { TuiApi } from './api/tui-api.js';
import { App } from './app.js';
import { osc52 } from './layout/detail-text.js';
import { enableMouse, mouseWanted } from './mouse-mode.js';
import { themeFromEnv } from './views/theme.js';

/** Options of {@link runTui}. */
export interface RunTuiOptions {
  readonly api: TuiApi;
  readonly jobId?: string | null;
  /** Open the Trends screen on these ids (a schedule, or jobs of one spec). */
  readonly trend?: readonly string[] | null;
  readonly label?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
  /** Mouse wheel scrolling: false for `--no-mouse`. @default on unless `BEACON_TUI_MOUSE=0` */
  readonly mouse?: boolean;
}

/** Thrown when the TUI cannot take the keyboard: stdin is not a terminal, or it cannot be put in raw mode. */
export class NotInteractiveError extends Error {
  constructor() {
    super(
      'beacon tui needs an interactive terminal: stdin is not a TTY (or does not support raw mode); use `beacon jobs`, `beacon executions` or `beacon reconcile` in scripts',
    );
    this.name = 'NotInteractiveError';
  }
}

/** Whether a stream can drive the TUI's keys. */
export function isInteractive(stdin: NodeJS.ReadStream): boolean {
  return Boolean(stdin.isTTY) && typeof stdin.setRawMode === 'function';
}

/** Runs the TUI until the operator quits (`q`, or ctrl-c). */
export async function runTui(opts: RunTuiOptions): Promise<void> {
  const stdin = opts.stdin ?? process.stdin;
  if (!isInteractive(stdin)) throw new NotInteractiveError();
  const stdout = opts.stdout ?? process.stdout;
  const env = opts.env ?? process.env;
  // Wheel reports are asked for before the first frame and always turned off again (see `enableMouse`).
  const mouseOff = mouseWanted(env, opts.mouse) ? enableMouse(stdout) : () => undefined;
  const instance = render(
    <App
      traceUrl={env.BEACON_TRACE_URL || null}
      copy={(text) => stdout.write(osc52(text))}
      api={opts.api}
      jobId={opts.jobId ?? null}
      trend={opts.trend ?? null}
      label={opts.label}
      theme={themeFromEnv(env)}
    />,
    {
      stdin,
      stdout,
      exitOnCtrlC: true,
      patchConsole: true,
    },
  );
  try {
    await instance.waitUntilExit();
  } finally {
    mouseOff();
  }
}
