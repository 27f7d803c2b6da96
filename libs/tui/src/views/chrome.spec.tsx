import { describe, expect, it } from '@jest/globals';
import { render } from 'ink-testing-library';
import { SCREENS } from '../keys/key-tables.js';
import { Header } from './chrome.js';

describe(Header.name, () => {
  it('keeps the connection glyph at the right end at 80 columns, on every screen (the eighth tab must leave room)', () => {
    for (const screen of SCREENS) {
      const { lastFrame, unmount } = render(<Header screen={screen} width={80} right="● http://127.0.0.1:8787" />);
      const line = lastFrame() ?? '';
      expect(line.length).toBeLessThanOrEqual(80);
      expect(line).toContain('●');
      unmount();
    }
  });
});
