import { createContext, useContext } from 'react';
import type { TextProps } from 'ink';
import type { BarTone } from '../layout/timeline-layout.js';
import type { DiffTone } from '../layout/diff-layout.js';

/** What the terminal may be sent: with `color` false, no colour or style escape codes at all. */
export interface Theme {
  readonly color: boolean;
}

/** Colour unless `NO_COLOR` is set to a non-empty value (https://no-color.org). */
export function themeFromEnv(env: Readonly<Record<string, string | undefined>>): Theme {
  return { color: !env.NO_COLOR };
}

export const ThemeContext = createContext<Theme>({ color: true });
export const useTheme = (): Theme => useContext(ThemeContext);

/** Named styles of the TUI. */
export type Tone = 'title' | 'muted' | 'selected' | 'accent' | 'good' | 'bad' | 'warn' | 'critical' | BarTone | DiffTone;

const STYLES: Partial<Record<Tone, TextProps>> = {
  title: { bold: true },
  muted: { dimColor: true },
  selected: { inverse: true },
  accent: { color: 'cyan' },
  good: { color: 'green' },
  bad: { color: 'red' },
  warn: { color: 'yellow' },
  critical: { color: 'red', bold: true },
  succeeded: { color: 'green' },
  error: { color: 'yellow' },
  final: { color: 'red' },
  lease: { color: 'magenta' },
  inflight: { color: 'cyan' },
  other: { color: 'gray' },
  backwards: { color: 'red', inverse: true },
  gap: { color: 'gray' },
  added: { color: 'green', underline: true },
  removed: { color: 'red', strikethrough: true },
  heading: { dimColor: true },
  same: { dimColor: true },
};

/** The Text props of a tone; none at all without colour. */
export function style(theme: Theme, tone: Tone | undefined): TextProps {
  if (!theme.color || !tone) return {};
  return STYLES[tone] ?? {};
}

/** Tone of an execution or job state, an outcome or a classification. */
export function stateTone(value: string | null | undefined): Tone | undefined {
  switch (value) {
    case 'succeeded':
    case 'completed':
    case 'answered':
      return 'good';
    case 'failed':
    case 'final_error':
    case 'refused':
    case 'filtered':
      return 'bad';
    case 'running':
    case 'queued':
    case 'pending':
      return 'accent';
    case 'partially_completed':
    case 'budget_exhausted':
    case 'partial':
    case 'retryable_error':
    case 'lease_expired':
    case 'cancelled':
    case 'empty':
      return 'warn';
    case 'critical':
      return 'critical';
    case 'warning':
      return 'warn';
    default:
      return undefined;
  }
}
