import { Text } from 'ink';
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
