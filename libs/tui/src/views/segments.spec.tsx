import { describe, expect, it } from '@jest/globals';
import { Box } from 'ink';
import { render } from 'ink-testing-library';
import { Note, Row, Segments, printable } from './segments.js';

/** Escape sequences a model (or an imported export) could put in a response. */
const HOSTILE = 'ok\u001b[2J\u001b[31mred\u0007\u009b1;1H\tend\nnext';

describe(printable.name, () => {
  it('shows every control character as a replacement mark, tabs and line breaks as spaces', () => {
    expect(printable(HOSTILE)).toBe('ok\uFFFD[2J\uFFFD[31mred\uFFFD\uFFFD1;1H end next');
    expect(printable('plain 中文 — text')).toBe('plain 中文 — text');
  });
});

describe('text views', () => {
  it('never write a control character of the data to the terminal', () => {
    const { lastFrame, unmount } = render(
      <Box flexDirection="column">
        <Segments segments={[{ text: HOSTILE }]} />
        <Row selected={false}>{HOSTILE}</Row>
        <Note>{HOSTILE}</Note>
      </Box>,
    );
    const frame = lastFrame() ?? '';
    unmount();
    expect(frame.split('\n')).toHaveLength(3);
    expect(frame).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(frame).toContain('red');
  });
});
