import { useMemo } from 'react';
import { Text, Transform, useIsScreenReaderEnabled } from 'ink';
import { style, useTheme, type Tone } from './theme.js';

/** Control characters (and line breaks, which would break the layout) in data: never written to the terminal as is. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text as it may reach the terminal: stored prompts, responses and imported data can hold escape sequences that would
 * move the cursor or recolour the screen, so every control character shows as `\uFFFD` (tabs and line breaks as a space).
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => (c === '\t' || c === '\n' || c === '\r' ? ' ' : '\uFFFD'));
}

/** A run of text with a tone. */
export interface ToneSegment {
  readonly text: string;
  readonly tone?: Tone;
}

/** One line of text made of toned runs, cut at the box edge. */
export function Segments({ segments }: { readonly segments: readonly ToneSegment[] }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate">
      {segments.map((s, i) => (
        <Text key={i} {...style(theme, s.tone)}>
          {printable(s.text)}
        </Text>
      ))}
    </Text>
  );
}

/** Width-1 glyphs of the TUI outside printable ASCII: sparkline levels, `·` (no response), `‹` `›` (more runs, selection). */
const NARROW_GLYPHS = /[▁▂▃▄▅▆▇█·‹›]/g;
const OUTSIDE_ASCII = /[^\u0020-\u007e]/;
/** What Ink measures in place of a narrow glyph: printable ASCII, as wide as the glyph. */
const STAND_IN = '?';
/** An escape sequence (CSI or OSC) at the sticky position: copied as is while glyphs are put back. */
const ESCAPE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|.)/y;

/**
 * `Segments` for a line of many narrow glyphs (a sparkline): the same line on screen, but Ink lays it out, measures and
 * clips it with each glyph stood in for by `?`, and a `Transform` puts the glyphs back into the finished line.
 *
 * Ink measures every Text node's width on every frame (string-width; twice more, and slice-ansi, under a box that clips
 * horizontally) and has no fast path for a line with any character outside printable ASCII: it segments the whole line into
 * graphemes and tests each against the emoji regexes. A Trends frame of 35 rows of 80-glyph strips spent most of its time
 * there. Trends screen, 1,000 runs × 72 cells at 120 × 40 (bench/trends-tui.mjs against a synthetic series, 2 shared
 * cores): with the glyphs in the Text nodes, move p50 27.8–38.2 ms, p99 45.9–66.6 ms, CPU per frame p50 32–42 ms;
 * measured as ASCII, see the TrendRow note in trends-screen.tsx.
 *
 * A line longer than `width` (its box), or with other characters outside ASCII, is drawn as `Segments` draws it, and so
 * is every line for a screen reader.
 */
export function GlyphSegments({ segments, width }: { readonly segments: readonly ToneSegment[]; readonly width: number }) {
  const theme = useTheme();
  // A screen reader is given the text without the transform: the glyphs themselves.
  const reader = useIsScreenReaderEnabled();
  const { standIns, restore } = useMemo(() => {
    const texts = segments.map((s) => printable(s.text));
    const real = texts.join('');
    const standIns = texts.map((t) => t.replace(NARROW_GLYPHS, STAND_IN));
    const measured = standIns.join('');
    // Other characters outside ASCII (in data) have widths of their own, and a line wider than its box is Ink's to
    // truncate, which would move the glyphs: such lines are drawn as `Segments` draws them.
    const plain = measured === real || OUTSIDE_ASCII.test(measured) || measured.length > width;
    return { standIns, restore: plain ? null : restoreGlyphs(real) };
  }, [segments, width]);
  if (!restore || reader) return <Segments segments={segments} />;
  return (
    <Transform transform={restore}>
      <Text wrap="truncate">
        {segments.map((s, i) => (
          <Text key={i} {...style(theme, s.tone)}>
            {standIns[i]}
          </Text>
        ))}
      </Text>
    </Transform>
  );
}

/** Puts the characters of `real` back where a finished line (with escape codes) has a stand-in; remembers the last line. */
export function restoreGlyphs(real: string): (line: string) => string {
  let lastIn = '';
  let lastOut = '';
  return (line) => {
    if (line === lastIn) return lastOut;
    let out = '';
    let at = 0;
    for (let k = 0; k < line.length; k++) {
      if (line[k] === '\u001b') {
        ESCAPE.lastIndex = k;
        const m = ESCAPE.exec(line);
        if (m) {
          out += m[0];
          k += m[0].length - 1;
          continue;
        }
      }
      out += line[k] === STAND_IN && at < real.length ? real[at]! : line[k]!;
      at++;
    }
    lastIn = line;
    lastOut = out;
    return out;
  };
}

/** One list row: `›` and the selection style on the selected row. */
export function Row({ selected, children }: { readonly selected: boolean; readonly children: string }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate" {...(selected ? style(theme, 'selected') : {})}>
      {(selected ? '› ' : '  ') + printable(children)}
    </Text>
  );
}

/** A muted one-line message (empty states, loading, errors). */
export function Note({ children, tone = 'muted' }: { readonly children: string; readonly tone?: Tone }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate" {...style(theme, tone)}>
      {printable(children)}
    </Text>
  );
}
