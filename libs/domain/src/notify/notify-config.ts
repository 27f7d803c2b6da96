import { z } from 'zod';
import { intBetween, strictObject } from '../json/common.schema.js';
import { dottedPath, issuesToProblems, problemMessages } from '../json/zod-issue.mapper.js';
import type { Problem } from '../problems/problem.js';

/** Sink ids: they name metrics series and log rows, so short, plain and bounded in number by the configuration. */
export const SINK_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Reconciler rule ids as a sink's `rules` names them. */
export const RULE_ID_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** Severities of findings, lowest first (the order `minSeverity` compares in). */
export const FINDING_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

/** The drift rules: what a sink sends when its `rules` is left out. */
export const DRIFT_RULES = ['label_flip', 'refusal_shift', 'response_drift'] as const;

/** The kinds of sink: a generic JSON webhook signed with HMAC-SHA256, or a Slack incoming webhook. */
export const SINK_KINDS = ['webhook', 'slack'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

/** Defaults of a sink's settings. */
export const SINK_DEFAULTS = { timeoutMs: 10_000, maxAttempts: 8, minSeverity: 'info' as FindingSeverity } as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envName = () => z.string().regex(ENV_NAME, { error: 'must be an environment variable name' });

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const sinkSchema = strictObject({
  id: z.string().regex(SINK_ID_PATTERN, { error: `must match ${SINK_ID_PATTERN.source}` }),
  kind: z.enum(SINK_KINDS, { error: `must be one of ${SINK_KINDS.join(', ')}` }),
  url: z.string().refine(isHttpUrl, { error: 'must be an http(s) URL' }).optional(),
  urlEnv: envName().optional(),
  secretEnv: envName().optional(),
  rules: z
    .array(z.string().regex(RULE_ID_PATTERN, { error: `must be a rule id matching ${RULE_ID_PATTERN.source}` }))
    .min(1, { error: 'must name at least one rule (leave it out for the drift rules)' })
    .optional(),
  minSeverity: z.enum(FINDING_SEVERITIES, { error: `must be one of ${FINDING_SEVERITIES.join(', ')}` }).optional(),
  timeoutMs: intBetween(100, 120_000).optional(),
  maxAttempts: intBetween(1, 100).optional(),
});

/** `notifications:` — `sinks: [{ id, kind, url | urlEnv, secretEnv, rules, minSeverity, timeoutMs, maxAttempts }]`. */
export const notificationsSectionSchema = strictObject({
  sinks: z.array(z.unknown()).default([]),
});

/**
 * One sink as configured. The URL is given in the file (`url`) or, for a URL that is itself a secret (a Slack
 * incoming webhook), by the name of the environment variable holding it (`urlEnv`); the HMAC key of a webhook sink
 * always comes from the environment (`secretEnv`). No secret value is ever in the configuration.
 */
export interface NotificationSinkConfig {
  id: string;
  kind: SinkKind;
  /** The URL as written in the file; null when it comes from `urlEnv`. */
  url: string | null;
  urlEnv: string | null;
  /** The variable holding the HMAC-SHA256 key (webhook sinks; null for Slack). */
  secretEnv: string | null;
  /** Rule ids whose findings this sink is sent (default {@link DRIFT_RULES}). */
  rules: string[];
  /** Findings below this severity are not sent. */
  minSeverity: FindingSeverity;
  /** Bound of one delivery (connect, headers and the bounded body read), in ms. */
  timeoutMs: number;
  /** HTTP attempts before a delivery is dead-lettered. */
  maxAttempts: number;
}

/** The `notifications:` section as parsed. */
export interface NotificationsConfig {
  sinks: NotificationSinkConfig[];
}

/** The sinks of `notifications.sinks`, each checked alone so one bad entry does not hide the others' problems. */
export function buildNotifications(
  section: z.output<typeof notificationsSectionSchema> | undefined | null,
  problems: Problem[],
): NotificationsConfig {
  const sinks: NotificationSinkConfig[] = [];
  const seen = new Map<string, number>();
  (section?.sinks ?? []).forEach((value, index) => {
    const at = (...rest: PropertyKey[]) => dottedPath(['notifications', 'sinks', index, ...rest]);
    const parsed = sinkSchema.safeParse(value, { error: problemMessages });
    if (!parsed.success) {
      problems.push(...issuesToProblems(parsed.error.issues, (segments) => at(...segments)));
      return;
    }
    const s = parsed.data;
    const before = problems.length;
    if ((s.url === undefined) === (s.urlEnv === undefined)) {
      problems.push({ path: at('url'), message: 'give either url or urlEnv (the variable holding the URL), not both or neither' });
    }
    if (s.kind === 'webhook' && s.secretEnv === undefined) {
      problems.push({ path: at('secretEnv'), message: 'a webhook sink needs secretEnv: the variable holding its HMAC-SHA256 key' });
    }
    if (s.kind === 'slack' && s.secretEnv !== undefined) {
      problems.push({
        path: at('secretEnv'),
        message: 'Slack incoming webhooks are not signed: leave secretEnv out (keep the URL in urlEnv)',
      });
    }
    const first = seen.get(s.id);
    if (first !== undefined)
      problems.push({ path: at('id'), message: `duplicate sink id "${s.id}" (also at notifications.sinks[${first}])` });
    else seen.set(s.id, index);
    if (problems.length > before) return;
    sinks.push({
      id: s.id,
      kind: s.kind,
      url: s.url ?? null,
      urlEnv: s.urlEnv ?? null,
      secretEnv: s.secretEnv ?? null,
      rules: [...new Set(s.rules ?? DRIFT_RULES)],
      minSeverity: s.minSeverity ?? SINK_DEFAULTS.minSeverity,
      timeoutMs: s.timeoutMs ?? SINK_DEFAULTS.timeoutMs,
      maxAttempts: s.maxAttempts ?? SINK_DEFAULTS.maxAttempts,
    });
  });
  return { sinks };
}

/** What the enqueue step needs of a sink: which findings go to it, and how many attempts its deliveries get. */
export interface NotificationRoute {
  sinkId: string;
  rules: string[];
  minSeverity: FindingSeverity;
  maxAttempts: number;
}

/** The routes of the configured sinks (empty without a `notifications:` section). */
export function notificationRoutes(config: { notifications?: NotificationsConfig }): NotificationRoute[] {
  return (config.notifications?.sinks ?? []).map((s) => ({
    sinkId: s.id,
    rules: s.rules,
    minSeverity: s.minSeverity,
    maxAttempts: s.maxAttempts,
  }));
}

/** Whether a finding of `ruleId` at `severity` goes to the sink of `route` (the enqueue statement's rule, in TypeScript). */
export function routeAccepts(route: Pick<NotificationRoute, 'rules' | 'minSeverity'>, ruleId: string, severity: FindingSeverity): boolean {
  return route.rules.includes(ruleId) && FINDING_SEVERITIES.indexOf(severity) >= FINDING_SEVERITIES.indexOf(route.minSeverity);
}

/** A sink with its secrets read from the environment: what a delivery needs. */
export interface ResolvedSink {
  id: string;
  kind: SinkKind;
  url: string;
  /** `host[:port]` of the URL: what logs, rows and answers show instead of the URL. */
  host: string;
  /** The HMAC key (webhook sinks). */
  secret: string | null;
  timeoutMs: number;
  maxAttempts: number;
}

/**
 * The configured sinks with their URL and key read from `env`. A variable that is unset or empty, or a URL that is not
 * http(s), is a problem naming the field (the daemon and `beacon notify test` refuse to start on it: a sink that
 * cannot deliver would dead-letter every finding).
 */
export function resolveSinks(
  config: { notifications?: NotificationsConfig },
  env: NodeJS.ProcessEnv,
): { sinks: ResolvedSink[]; problems: Problem[] } {
  const sinks: ResolvedSink[] = [];
  const problems: Problem[] = [];
  (config.notifications?.sinks ?? []).forEach((s, index) => {
    const path = (field: string) => `notifications.sinks[${index}].${field}`;
    let url = s.url;
    if (s.urlEnv !== null) {
      url = env[s.urlEnv] ?? '';
      if (url === '') problems.push({ path: path('urlEnv'), message: `environment variable ${s.urlEnv} is not set` });
      else if (!isHttpUrl(url))
        problems.push({ path: path('urlEnv'), message: `environment variable ${s.urlEnv} does not hold an http(s) URL` });
    }
    let secret: string | null = null;
    if (s.secretEnv !== null) {
      secret = env[s.secretEnv] ?? '';
      if (secret === '') problems.push({ path: path('secretEnv'), message: `environment variable ${s.secretEnv} is not set` });
      else if (secret.length < 16)
        problems.push({ path: path('secretEnv'), message: `the key in ${s.secretEnv} is shorter than 16 characters` });
    }
    if (url === null || url === '' || !isHttpUrl(url) || (s.secretEnv !== null && (secret === null || secret.length < 16))) return;
    sinks.push({ id: s.id, kind: s.kind, url, host: new URL(url).host, secret, timeoutMs: s.timeoutMs, maxAttempts: s.maxAttempts });
  });
  return { sinks, problems };
}

/**
 * The secret values of the configured sinks, for the process's redactor: each key, and each URL that is secret (one
 * from `urlEnv`, or a Slack URL written in the file), whole and as its path and query (an upstream may echo either).
 */
export function sinkSecretValues(
  config: { notifications?: NotificationsConfig },
  env: NodeJS.ProcessEnv,
): { values: string[]; tooShort: string[] } {
  const values: string[] = [];
  const tooShort: string[] = [];
  for (const s of config.notifications?.sinks ?? []) {
    const url = s.urlEnv !== null ? env[s.urlEnv] : s.kind === 'slack' ? s.url : null;
    if (url) {
      values.push(url);
      try {
        const u = new URL(url);
        const tail = `${u.pathname}${u.search}`;
        if (tail.length >= 8) values.push(tail, tail.slice(1));
      } catch {
        /* not a URL: resolveSinks says so; the whole value is registered above */
      }
    }
    const key = s.secretEnv !== null ? env[s.secretEnv] : undefined;
    if (key) {
      values.push(key);
      if (key.trim().length < 8) tooShort.push(s.secretEnv!);
    }
  }
  return { values, tooShort };
}
