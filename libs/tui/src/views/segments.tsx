import { Text } from 'ink';
import { style, useTheme, type Tone } from './theme.js';

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
      {segments.map((s, i) => <Text key={i} {...style(theme, s.tone)}>{s.text}</Text>)}
    </Text>
  );
}

/** One list row: `›` and the selection style on the selected row. */
export function Row({ selected, children }: { readonly selected: boolean; readonly children: string }) {
  const theme = useTheme();
  return <Text wrap="truncate" {...(selected ? style(theme, 'selected') : {})}>{(selected ? '› ' : '  ') + children}</Text>;
}

/** A muted one-line message (empty states, loading, errors). */
export function Note({ children, tone = 'muted' }: { readonly children: string; readonly tone?: Tone }) {
  const theme = useTheme();
  return <Text wrap="truncate" {...style(theme, tone)}>{children}</Text>;
}
