/** Something with a current frame, as ink-testing-library's `render()` returns. */
export interface FrameSource {
  lastFrame(): string | undefined;
  stdin: { write(data: string): void };
}

/** Key sequences as a terminal sends them. */
export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  enter: '\r',
  escape: '\u001B',
  tab: '\t',
  backspace: '\u007F',
} as const;

/**
 * Waits until the frame satisfies `check`, yielding to the event loop between looks (React and the API answer in
 * their own time); fails after `timeoutMs` with the last frame in the message.
 */
export async function waitForFrame(ui: FrameSource, check: (frame: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = ui.lastFrame() ?? '';
    if (check(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`frame did not change as expected within ${timeoutMs} ms; last frame:\n${frame}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until the frame contains every text. */
export const waitForText = (ui: FrameSource, ...texts: (string | RegExp)[]): Promise<string> =>
  waitForFrame(ui, (f) => texts.every((t) => (typeof t === 'string' ? f.includes(t) : t.test(f))));

/** Types keys one at a time, each after the UI took the previous one (the frame changed, or `then` holds). */
export async function press(ui: FrameSource, keys: string, then?: (frame: string) => boolean): Promise<string> {
  const before = ui.lastFrame() ?? '';
  ui.stdin.write(keys);
  return waitForFrame(ui, then ?? ((f) => f !== before));
}
