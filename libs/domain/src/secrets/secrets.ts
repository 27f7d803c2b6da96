import type { BeaconConfig } from '../config/config.types.js';
import { REDACTED, SecretRedactor } from './secret-redactor.js';
import { sinkSecretValues } from '../notify/notify-config.js';

/**
 * The process's redactor: every secret value this process knows of (provider and judge keys, the database password,
 * the CLI's bearer token), registered where configuration is read. Every sink (row writes, the logger, spans, API
 * answers, live events, reports, CLI errors) reads this one instance, so a key registered anywhere is hidden
 * everywhere.
 */
export const secrets = new SecretRedactor();

/** `text` with every known secret and credential shape replaced by the marker. */
export function redactSecrets(text: string): string {
  return secrets.redact(text);
}

/** A copy of `value` with every string in it redacted (see {@link SecretRedactor.redactDeep}). */
export function redactSecretsDeep<T>(value: T): T {
  return secrets.redactDeep(value);
}

/** Environment variables whose names say they hold a credential (`OPENAI_API_KEY`, `PGPASSWORD`, `X_TOKEN`…). */
const SECRET_ENV_NAME = /(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$/i;

/**
 * A value that could be a generated credential rather than a setting: 12 characters or more with letters and digits,
 * no spaces, not a path or an address (so `SIGN_KEY=./ci.key`, `X_TOKEN=disabled` or `CACHE_KEY=127.0.0.1` do not
 * turn common text into the marker). Variables Beacon is told hold keys are taken whatever they look like.
 */
function looksRandom(value: string): boolean {
  return (
    value.length >= 12 &&
    /[A-Za-z]/.test(value) &&
    /[0-9]/.test(value) &&
    !/\s/.test(value) &&
    !/^[./~]/.test(value) &&
    !/^[0-9.:]+$/.test(value) &&
    !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)
  );
}

/** What a configuration and environment hold that must never be shown. */
export interface ConfiguredSecrets {
  values: string[];
  /** Configured key variables whose value is too short to be redacted by value. */
  tooShort: string[];
}

/**
 * The secret values of a configuration: each region's and the judge's key (read from the variables they name), each
 * notification sink's HMAC key and secret URL, the
 * password of `DATABASE_URL` (or `PGPASSWORD`), `BEACON_TOKEN`, and every variable whose name says it is a credential
 * and whose value looks generated.
 */
export function configuredSecrets(config: BeaconConfig | null, env: NodeJS.ProcessEnv): ConfiguredSecrets {
  const values: string[] = [];
  const tooShort: string[] = [];
  const keyVars = new Set<string>();
  for (const region of Object.values(config?.regions ?? {})) if (region.apiKeyEnv) keyVars.add(region.apiKeyEnv);
  if (config?.classifier?.judge?.apiKeyEnv) keyVars.add(config.classifier.judge.apiKeyEnv);
  for (const name of keyVars) {
    const value = env[name];
    if (!value) continue;
    values.push(value);
    if (value.trim().length < 8) tooShort.push(name);
  }
  // Notification sinks: HMAC keys, and URLs that are secrets themselves (a Slack incoming webhook's path is its key).
  const sinks = sinkSecretValues(config ?? {}, env);
  values.push(...sinks.values);
  tooShort.push(...sinks.tooShort);
  if (env.DATABASE_URL) values.push(...connectionPasswords(env.DATABASE_URL));
  if (env.BEACON_TOKEN) values.push(env.BEACON_TOKEN);
  if (env.PGPASSWORD) values.push(env.PGPASSWORD);
  for (const [name, value] of Object.entries(env)) if (value && SECRET_ENV_NAME.test(name) && looksRandom(value)) values.push(value);
  return { values, tooShort };
}

/** Registers {@link configuredSecrets} with the process's redactor; returns the key variables too short to hide. */
export function registerConfiguredSecrets(config: BeaconConfig | null, env: NodeJS.ProcessEnv = process.env): string[] {
  const found = configuredSecrets(config, env);
  secrets.add(...found.values);
  return found.tooShort;
}

/**
 * Every form of the password a PostgreSQL connection string holds: URL user info (also holding an unencoded `@`,
 * which parses as the last `@` before the host), `?password=` in the query, and libpq's `password=…` key-value form;
 * each as written and decoded.
 */
export function connectionPasswords(connection: string): string[] {
  const out = new Set<string>();
  const decode = (v: string) => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  };
  const text = connection.trim();
  const userInfo = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#:@]*:([^/?#]*)@/.exec(text);
  if (userInfo?.[1]) {
    out.add(userInfo[1]);
    out.add(decode(userInfo[1]));
  }
  for (const m of text.matchAll(/(?:^|[?&\s])password=('(?:[^'\\]|\\.)*'|[^&\s#]*)/gi)) {
    const raw = m[1]!.startsWith("'") ? m[1]!.slice(1, -1).replace(/\\(.)/g, '$1') : m[1]!;
    if (raw) {
      out.add(raw);
      out.add(decode(raw.replace(/\+/g, ' ')));
    }
  }
  return [...out].filter((v) => v.length > 0);
}

/** A connection string fit for messages: its password hidden in every form (user info, `?password=`, `password=`). */
export function maskConnectionString(connection: string): string {
  // A quoted libpq value may hold spaces, which the generic `password=` shape stops at.
  const unquoted = connection.replace(/(\bpassword\s*=\s*)'(?:[^'\\]|\\.)*'/gi, `$1${REDACTED}`);
  return new SecretRedactor(connectionPasswords(connection)).redact(unquoted);
}
