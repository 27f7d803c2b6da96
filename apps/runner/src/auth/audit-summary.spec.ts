import { describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '@beacon/db';
import { AuditSummaries, chargedRefusal } from './audit-summary.js';

const entry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
  principal: 'anonymous',
  role: null,
  method: 'POST',
  path: '/api/v1/jobs/x/cancel',
  targetId: null,
  status: 421,
  error: 'unknown_host',
  remoteAddress: '198.51.100.7',
  ...over,
});

describe('review 7: refusals before authentication', () => {
  it('are charged when anonymous, from a known address, with a refusal code, and not yet a summary', () => {
    for (const error of ['unknown_host', 'foreign_origin', 'invalid_content_type', 'malformed_request', 'not_found']) {
      expect({ error, charged: chargedRefusal(entry({ error })) }).toEqual({ error, charged: true });
    }
    expect(chargedRefusal(entry({ principal: 'sam', error: 'not_found' }))).toBe(false);
    expect(chargedRefusal(entry({ principal: 'local', error: 'malformed_request' }))).toBe(true);
    expect(chargedRefusal(entry({ error: null, status: 200 }))).toBe(false);
    expect(chargedRefusal(entry({ remoteAddress: null }))).toBe(false);
    expect(chargedRefusal(entry({ occurrences: 12 }))).toBe(false);
    expect(chargedRefusal(entry({ error: 'body_too_large' }))).toBe(false);
  });

  it('are summed per address and code once past the allowance, and each request is still counted', () => {
    const s = new AuditSummaries();
    expect(s.absorb(entry())).toBe(false); // within the allowance: written on its own
    for (let i = 0; i < 5; i++) expect(s.absorb(entry(), true)).toBe(true);
    for (let i = 0; i < 3; i++) expect(s.absorb(entry({ error: 'malformed_request', status: 400 }), true)).toBe(true);
    expect(s.absorb(entry({ remoteAddress: '198.51.100.8' }), true)).toBe(true);
    expect(s.absorb(entry({ error: 'malformed_request', status: 400, principal: 'local' }), true)).toBe(true);
    const rows = s.drain();
    expect(rows.map((r) => [r.error, r.principal, r.remoteAddress, r.occurrences])).toEqual([
      ['unknown_host', 'anonymous', '198.51.100.7', 5],
      ['malformed_request', 'anonymous', '198.51.100.7', 3],
      ['unknown_host', 'anonymous', '198.51.100.8', 1],
      ['malformed_request', 'local', '198.51.100.7', 1],
    ]);
    expect(s.drain()).toEqual([]);
  });
});
