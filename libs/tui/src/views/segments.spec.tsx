import { describe, expect, it } from '@jest/globals';
import { Box } from 'ink';
import { render } from 'ink-testing-library';
import { GlyphSegments, Note, Row, Segments, printable, restoreGlyphs } from './segments.js';

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

describe(GlyphSegments.name, () => {
  it('draws the same line as Segments, glyphs and tones included, with or without colour', () => {
    const segments = [{ text: '› q1 m1 r1 ‹▁▂?' }, { text: '█·', tone: 'warn' as const }, { text: '▃› done?' }];
    const draw = (node: Parameters<typeof render>[0]) => {
      const ui = render(node);
      const frame = ui.lastFrame();
      ui.unmount();
      return frame;
    };
    expect(draw(<GlyphSegments segments={segments} width={100} />)).toBe(draw(<Segments segments={segments} />));
    expect(draw(<GlyphSegments segments={segments} width={100} />)).toContain('› q1 m1 r1 ‹▁▂?█·▃› done?');
    // Wider than its box: Ink truncates it, as it does Segments.
    expect(draw(<GlyphSegments segments={segments} width={10} />)).toBe(draw(<Segments segments={segments} />));
  });

  it('puts glyphs back by position, past escape codes', () => {
    const restore = restoreGlyphs('a▁?█b');
    expect(restore('a??\u001b[33m?\u001b[39mb')).toBe('a▁?\u001b[33m█\u001b[39mb');
  });
});
