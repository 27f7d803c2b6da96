import { Box, Text } from 'ink';
import { footerText, type KeyTable } from '../keys/key-binding.js';
import { GLOBAL_KEYS, SCREEN_KEYS, SCREEN_TITLES, SCREENS, type ScreenId } from '../keys/key-tables.js';
import { BAR_LEGEND, MARK_GLYPHS } from '../layout/timeline-layout.js';
import { fit } from '../layout/time-format.js';
import { Note, Segments } from './segments.js';
import { style, useTheme } from './theme.js';

/** The top line: every screen's title, the current one marked. */
export function Header({ screen, width, right }: { readonly screen: ScreenId; readonly width: number; readonly right: string }) {
  const theme = useTheme();
  const tabs = SCREENS.map((s) => (s === screen ? `[${SCREEN_TITLES[s]}]` : ` ${SCREEN_TITLES[s]} `));
  const left = `beacon ${tabs.join('')}`;
  const room = width - left.length - 1;
  return (
    <Box width={width}>
      <Text wrap="truncate">
        <Text {...style(theme, 'title')}>{'beacon '}</Text>
        {tabs.map((t, i) => (
          <Text key={SCREENS[i]} {...style(theme, SCREENS[i] === screen ? 'accent' : 'muted')}>
            {t}
          </Text>
        ))}
        <Text {...style(theme, 'muted')}>{room > 3 ? ' ' + fit(right, room).padStart(room) : ''}</Text>
      </Text>
    </Box>
  );
}

/** The bottom line: the keys that work here (or the open `/` prompt). */
export function Footer({
  table,
  width,
  prompt,
  promptLabel,
  status = null,
  question = null,
  active = '',
}: {
  readonly table: KeyTable;
  readonly width: number;
  readonly prompt: string | null;
  readonly promptLabel: string;
  /** Said until the next key, in place of the key list (the way out stays: `? help  q quit`). */
  readonly status?: string | null;
  /** An operator control's open question (y/N, or the number being typed): it takes the line until answered. */
  readonly question?: string | null;
  /** The screen's `/` filter or search in force: kept in view, ahead of the keys, at any width. */
  readonly active?: string;
}) {
  if (question !== null) return <Segments segments={[{ text: fit(question, width), tone: 'accent' }]} />;
  if (prompt !== null)
    return (
      <Segments
        segments={[{ text: `${promptLabel}: `, tone: 'accent' }, { text: fit(prompt + '▏', Math.max(1, width - promptLabel.length - 2)) }]}
      />
    );
  if (status !== null) {
    const tail = '  ? help  q quit';
    return (
      <Segments
        segments={[
          { text: fit(status, Math.max(1, width - tail.length)), tone: 'warn' },
          { text: tail, tone: 'muted' },
        ]}
      />
    );
  }
  if (active) {
    const shown = fit(`/${active}`, Math.max(8, Math.floor(width / 3)));
    return (
      <Segments
        segments={[
          { text: shown, tone: 'accent' },
          { text: `  ${footerText(table, Math.max(0, width - shown.length - 2))}`, tone: undefined },
        ]}
      />
    );
  }
  return <Note>{footerText(table, width)}</Note>;
}

const NAV = new Set(['up', 'down', 'pageUp', 'pageDown', 'top', 'bottom']);

/** `?`: every key of the current screen and of the app, and the timeline's legend, in as few lines as fit 80 × 24. */
export function HelpOverlay({ screen, width, height }: { readonly screen: ScreenId; readonly width: number; readonly height: number }) {
  const theme = useTheme();
  const line = (b: KeyTable[number]) => fit(`  ${b.keys.map(keyText).join(' ').padEnd(14)} ${b.help}`, width);
  const table = SCREEN_KEYS[screen];
  const nav = table.filter((b) => NAV.has(b.command));
  const lines: { text: string; title?: boolean }[] = [
    { text: `${SCREEN_TITLES[screen]} keys`, title: true },
    ...(nav.length ? [{ text: fit(`  ${nav.map((b) => b.keys.map(keyText).join(' ')).join(', ')}: move, page, first, last`, width) }] : []),
    ...helpLines(table.filter((b) => !NAV.has(b.command))).map((b) => ({ text: line(b) })),
    { text: 'Everywhere', title: true },
    {
      text: fit(
        `  ${GLOBAL_KEYS.filter((b) => !b.command.startsWith('screen:'))
          .map((b) => `${b.label} ${b.hint}`)
          .join(' · ')}`,
        width,
      ),
    },
    { text: fit('  mouse wheel: move 3 rows (off: BEACON_TUI_MOUSE=0 or --no-mouse; shift+drag selects text)', width) },
    {
      text: fit(`  1–${SCREENS.length} ${SCREENS.map((sc) => SCREEN_TITLES[sc]).join(', ')} · :job ID, :diff A B, :findings FILTER`, width),
    },
  ];
  if (screen === 'timeline') {
    lines.push({ text: 'Lanes', title: true }, { text: fit(`  ${BAR_LEGEND}`, width) });
    for (let i = 0; i < MARK_GLYPHS.length; i += 2) {
      lines.push({
        text: fit(
          MARK_GLYPHS.slice(i, i + 2)
            .map(([, g, what]) => `  ${g} ${what.split(':')[0]}`.padEnd(Math.floor(width / 2)))
            .join(''),
          width,
        ),
      });
    }
  }
  return (
    <Box flexDirection="column" height={height}>
      {lines.slice(0, height).map((l, i) => (
        <Text key={i} wrap="truncate" {...(l.title ? style(theme, 'title') : {})}>
          {l.text}
        </Text>
      ))}
    </Box>
  );
}

/**
 * Bindings the help shows as one line, so that the Timeline's keys and its legend still fit 80 × 24: the details and
 * their scrolling, zoom, scrolling in time, the search's n/N, and the job controls.
 */
interface HelpGroup {
  readonly group: string;
  readonly help: string;
}
const group = (commands: readonly string[], g: HelpGroup): Record<string, HelpGroup> =>
  Object.fromEntries(commands.map((c) => [c, g] as const));
const HELP_GROUPS: Record<string, HelpGroup> = {
  ...group(['details', 'detailsDown', 'detailsUp'], {
    group: 'details',
    help: "show or hide the lane's attempts, the last one's prompts and response; J/K scroll them",
  }),
  ...group(['zoomIn', 'zoomOut'], { group: 'zoom', help: 'zoom in / out' }),
  ...group(['scrollLeft', 'scrollRight'], { group: 'scroll', help: 'scroll back / forward in time' }),
  ...group(['searchNext', 'searchPrevious'], { group: 'search', help: 'next / previous match of the / search' }),
  ...group(['cancel', 'retry', 'pauseJob', 'resumeJob'], {
    group: 'jobControls',
    help: 'x cancel the job, R re-run its failed cells, p pause, P resume (each asks y/N)',
  }),
};

/** The table with each group of {@link HELP_GROUPS} merged into its first binding: every key, the group's sentence. */
function helpLines(table: KeyTable): KeyTable {
  const out: KeyTable[number][] = [];
  const seen = new Set<string>();
  for (const b of table) {
    const g = HELP_GROUPS[b.command];
    if (!g) out.push(b);
    else if (!seen.has(g.group)) {
      seen.add(g.group);
      const members = table.filter((m) => HELP_GROUPS[m.command]?.group === g.group);
      out.push({ ...b, keys: members.flatMap((m) => m.keys), help: g.help });
    }
  }
  return out;
}

const KEY_TEXT: Record<string, string> = {
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  pageUp: 'PgUp',
  pageDown: 'PgDn',
  home: 'Home',
  end: 'End',
  return: 'enter',
  escape: 'esc',
  tab: 'tab',
  shiftTab: 'shift-tab',
  space: 'space',
  backspace: 'backspace',
};

function keyText(k: string): string {
  if (k.startsWith('ctrl:')) return `ctrl-${k.slice(5)}`;
  return k.startsWith('char:') ? k.slice(5) : (KEY_TEXT[k] ?? k);
}
