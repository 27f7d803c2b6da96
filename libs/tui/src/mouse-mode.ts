import { writeSync } from 'node:fs';

/** Mouse reports on (button presses incl. the wheel, 1000) in SGR encoding (1006, any column, unambiguous end). */
export const MOUSE_ON = '\u001B[?1000h\u001B[?1006h';
/** Both modes off again, in the reverse order: a shell left in mouse mode prints garbage on every click. */
export const MOUSE_OFF = '\u001B[?1006l\u001B[?1000l';

/**
 * Whether the TUI asks the terminal for wheel events: yes unless `BEACON_TUI_MOUSE` is `0`, `off`, `no` or `false`, or
 * `--no-mouse` was given (with mouse reports on, most terminals need shift held to select text).
 */
export function mouseWanted(env: Readonly<Record<string, string | undefined>>, flag: boolean | undefined = undefined): boolean {
  if (flag === false) return false;
  const v = (env.BEACON_TUI_MOUSE ?? '').trim().toLowerCase();
  return !['0', 'off', 'no', 'false'].includes(v);
}

/** A terminal the mode is written to: a stream, and its file descriptor when it has one (for the synchronous last write). */
export interface MouseTerminal {
  write(s: string): unknown;
  readonly fd?: number;
}

/** Signals after which the terminal must be given back: the default action of these ends the process. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Turns mouse reports on and returns the function that turns them off; that also runs, once, when the process exits
 * however it exits: an uncaught error (the `exit` event still fires, and there only a synchronous write reaches the
 * terminal) or SIGINT/SIGTERM/SIGHUP (the TUI's raw mode makes ctrl-c a key, but `kill -INT` is a signal).
 */
export function enableMouse(out: MouseTerminal, proc: NodeJS.Process = process): () => void {
  let on = true;
  const off = () => {
    if (!on) return;
    on = false;
    proc.removeListener('exit', off);
    for (const s of SIGNALS) proc.removeListener(s, onSignal);
    try {
      if (typeof out.fd === 'number') writeSync(out.fd, MOUSE_OFF);
      else out.write(MOUSE_OFF);
    } catch {
      // The terminal is gone (a closed pty): nothing is left to restore.
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    off();
    // Listening replaced the default action: end the process as the signal would have (128 + its number).
    proc.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  };
  out.write(MOUSE_ON);
  proc.on('exit', off);
  for (const s of SIGNALS) proc.on(s, onSignal);
  return off;
}
