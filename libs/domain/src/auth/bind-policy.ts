import { isIP } from 'node:net';

/** True for an address or host name that only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped ? mapped[1]!.startsWith('127.') : false;
  }
  return false;
}

/**
 * Why a daemon must not listen on `host` with `tokens` bearer tokens configured, or null when it may. Without tokens
 * the API is open, which is acceptable only when nobody but the local user can reach it.
 */
export function bindRefusal(host: string, tokens: number): string | null {
  if (tokens > 0 || isLoopbackHost(host)) return null;
  return (
    `refusing to listen on ${host} without API tokens: anyone who can reach it could submit and cancel jobs. ` +
    'Create a token with `beacon token create --name NAME --role admin` and add its hash to auth.tokens in the ' +
    'config file (or BEACON_AUTH_TOKENS), or listen on 127.0.0.1.'
  );
}
