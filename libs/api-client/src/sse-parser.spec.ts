import { describe, expect, it } from '@jest/globals';
import { type SseMessage, SseOverflowError, SseParser } from './sse-parser.js';

const msg = (over: Partial<SseMessage>): SseMessage => ({ event: 'message', data: '', id: null, retry: null, ...over });

/** Feeds the chunks one by one and collects every event. */
const feed = (chunks: readonly string[], parser = new SseParser()): SseMessage[] => chunks.flatMap((c) => parser.push(c));

const STREAM = 'id: 1\nevent: attempt_started\ndata: {"a":1}\n\nid: 2\nevent: job_state\ndata: {"b":2}\n\n';

describe(SseParser.name, () => {
  it('parses complete events with their id and event fields', () => {
    expect(feed([STREAM])).toEqual([
      msg({ id: '1', event: 'attempt_started', data: '{"a":1}' }),
      msg({ id: '2', event: 'job_state', data: '{"b":2}' }),
    ]);
  });

  it('gives the same events whichever way the stream is split into chunks', () => {
    const whole = feed([STREAM]);
    for (let i = 0; i <= STREAM.length; i++) expect(feed([STREAM.slice(0, i), STREAM.slice(i)])).toEqual(whole);
    expect(feed([...STREAM])).toEqual(whole);
  });

  it('returns an event only from the chunk that completes it', () => {
    const p = new SseParser();
    expect(p.push('data: hel')).toEqual([]);
    expect(p.push('lo\n')).toEqual([]);
    expect(p.push('\n')).toEqual([msg({ data: 'hello' })]);
  });

  it('accepts CRLF and lone CR line ends, including CRLF split across chunks', () => {
    expect(feed(['data: a\r\n\r\ndata: b\r\rdata: c\n\n'])).toEqual([msg({ data: 'a' }), msg({ data: 'b' }), msg({ data: 'c' })]);
    const crlf = 'data: x\r\n\r\ndata: y\r\n\r\n';
    for (let i = 0; i <= crlf.length; i++) {
      expect(feed([crlf.slice(0, i), crlf.slice(i)])).toEqual([msg({ data: 'x' }), msg({ data: 'y' })]);
    }
  });

  it('does not count a CRLF split across chunks as two line ends', () => {
    // Were the `\r` and `\n` taken as two lines, the blank line would dispatch `a` early and lose `b`.
    expect(feed(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([msg({ data: 'a\nb' })]);
  });

  it('joins multi-line data with newlines and keeps empty data lines', () => {
    expect(feed(['data: one\ndata:two\ndata\ndata: \ndata: three\n\n'])).toEqual([msg({ data: 'one\ntwo\n\n\nthree' })]);
  });

  it('strips one space after the colon only', () => {
    expect(feed(['data:  two spaces \n\n'])).toEqual([msg({ data: ' two spaces ' })]);
  });

  it('ignores comments and heartbeats, even between the lines of an event', () => {
    expect(feed([': heartbeat\n\n', ':\n\n', 'data: a\n: keepalive\ndata: b\n\n'])).toEqual([msg({ data: 'a\nb' })]);
  });

  it('dispatches nothing for a block without data, and forgets its event name', () => {
    expect(feed(['event: gap\n\n', 'data: x\n\n'])).toEqual([msg({ data: 'x' })]);
  });

  it('dispatches an event whose only data line is empty', () => {
    expect(feed(['event: ping\ndata\n\n'])).toEqual([msg({ event: 'ping', data: '' })]);
  });

  it('defaults the event name to message, per event', () => {
    expect(feed(['event: gap\ndata: 1\n\ndata: 2\n\n'])).toEqual([msg({ event: 'gap', data: '1' }), msg({ data: '2' })]);
  });

  it('keeps the last id for later events, and lets an empty id clear it', () => {
    expect(feed(['id: 5\ndata: a\n\ndata: b\n\nid\ndata: c\n\n'])).toEqual([
      msg({ id: '5', data: 'a' }),
      msg({ id: '5', data: 'b' }),
      msg({ id: '', data: 'c' }),
    ]);
  });

  it('ignores an id containing NUL', () => {
    expect(feed(['id: 1\ndata: a\n\nid: 2\u00003\ndata: b\n\n']).map((m) => m.id)).toEqual(['1', '1']);
  });

  it('reads retry only when it is all digits', () => {
    expect(feed(['retry: 2000\ndata: a\n\n', 'retry: 2s\ndata: b\n\n', 'retry: -1\ndata: c\n\n']).map((m) => m.retry)).toEqual([
      2000,
      null,
      null,
    ]);
  });

  it('does not lose a retry sent in a block of its own (as the server sends it on connect)', () => {
    expect(feed(['retry: 2000\n: connected\n\n', ': heartbeat\n\n', 'id: 1\ndata: x\n\n', 'id: 2\ndata: y\n\n'])).toEqual([
      msg({ id: '1', data: 'x', retry: 2000 }),
      msg({ id: '2', data: 'y' }),
    ]);
  });

  it('ignores unknown fields and does not dispatch an unterminated event', () => {
    expect(feed(['foo: bar\ndata: a\nbogus\n\n', 'data: pending\n'])).toEqual([msg({ data: 'a' })]);
  });

  it('keeps colons after the first in the value', () => {
    expect(feed(['data: {"t":"12:30"}\n\n'])).toEqual([msg({ data: '{"t":"12:30"}' })]);
  });

  it('refuses an event that grows past its bound, even one never ending its line, and stays refused', () => {
    const p = new SseParser(1000);
    expect(p.push(`data: ${'x'.repeat(900)}`)).toEqual([]);
    expect(() => p.push('x'.repeat(200))).toThrow(SseOverflowError);
    expect(() => p.push('\n\n')).toThrow(/larger than 1000 characters/);
    // Many complete events of any total size pass: the bound is per event.
    const q = new SseParser(1000);
    expect(
      feed(
        Array.from({ length: 50 }, (_, i) => `data: ${'y'.repeat(500)}${i}\n\n`),
        q,
      ),
    ).toHaveLength(50);
  });

  it('keeps NUL and other control characters in data as sent', () => {
    expect(feed(['data: a\u0000b\u0007c\n\n'])).toEqual([msg({ data: 'a\u0000b\u0007c' })]);
  });
});
