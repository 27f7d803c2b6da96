import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { LIVE_FILTER_PARAMS, LiveFilterError, parseLiveFilter } from '@beacon/domain';
import type { Request, Response } from 'express';
import type { BeaconConfig } from '@beacon/domain';
import { ApiError, badParam } from '../api/api-error.js';
import { BUSY_RETRY_AFTER_S } from '../api/connection-guard.js';
import { clientKey } from '../auth/auth-limits.js';
import { BEACON_CONFIG } from '../tokens.js';
import { invalidParameters, problemsOf, query, repeated, single, textProblem } from '../api/edge-input.js';
import { LiveEventsService } from './live-events.service.js';
import { SseSession } from './sse-session.js';
import { Ungated } from '../api/read-gate.js';

/**
 * `GET /api/v1/events`: server-sent events of attempt, execution, job and finding changes from every daemon on the
 * database. Filters `job`, `region`, `model`, `state`, `classification`, `kind` (repeat or comma-separate values);
 * `Last-Event-ID` resumes from this daemon's buffer.
 */
/** The filters (each may repeat) and `lastEventId`, checked as text before they are parsed. */
const eventsQuery = query({
  ...(Object.fromEntries(LIVE_FILTER_PARAMS.map((p) => [p, repeated(200)])) as Record<
    (typeof LIVE_FILTER_PARAMS)[number],
    ReturnType<typeof repeated>
  >),
  lastEventId: single(undefined, 64),
});

@Ungated()
@Controller('api/v1/events')
export class LiveEventsController {
  constructor(
    private readonly live: LiveEventsService,
    @Inject(BEACON_CONFIG) private readonly config: BeaconConfig,
  ) {}

  @Get()
  async stream(@Req() req: Request, @Res() res: Response): Promise<void> {
    const checked = eventsQuery.safeParse(req.query ?? {});
    if (!checked.success) throw invalidParameters(problemsOf(checked.error));
    const header = req.header('last-event-id');
    const headerProblem = header === undefined ? null : textProblem(header, 64);
    if (headerProblem) throw badParam('last-event-id', headerProblem);
    let matcher;
    try {
      matcher = parseLiveFilter(req.query);
    } catch (err) {
      if (err instanceof LiveFilterError) throw badParam(err.param, err.problem);
      throw err;
    }
    // HEAD gets the stream's headers and ends: a HEAD response carries no body, so Node would never send the headers
    // of an open stream, and the connection would hang until the client gave up.
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform' }).end();
      return;
    }
    const lastEventId = req.header('last-event-id') ?? (typeof req.query.lastEventId === 'string' ? req.query.lastEventId : null);
    try {
      await this.live.ensureListening();
    } catch (err) {
      throw new ApiError(503, 'unavailable', `cannot listen for live events: ${(err as Error).message}`);
    }
    // A client gone while the listener was being set up: nothing to stream to, and no slot to take.
    if (gone(req, res)) return;
    const { maxEventStreams, maxEventStreamsPerClient } = this.config.limits;
    // Per client address as the auth limits count it (an IPv6 /64 is one client: it could pick a fresh address each time).
    const slot = this.live.admit(clientKey(req.socket?.remoteAddress ?? 'unknown'), maxEventStreams, maxEventStreamsPerClient);
    if ('refused' in slot)
      throw new ApiError(503, 'unavailable', `${slot.refused}; retry later`, undefined, { 'retry-after': String(BUSY_RETRY_AFTER_S) });
    // From here the slot is held: every way out (the client leaving, before or after the close listener is in place,
    // or a failure while setting up) gives it back.
    let session: SseSession | null = null;
    let unsubscribe: (() => void) | null = null;
    let ended = false;
    const closed = () => {
      if (ended) return;
      ended = true;
      unsubscribe?.();
      if (session) {
        this.live.sessions.delete(session);
        session.close();
      }
      slot.release();
    };
    req.on('close', closed);
    res.on('close', closed);
    try {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.socket?.setNoDelay(true);
      res.write('retry: 2000\n: connected\n\n');
      const { clientBuffer, heartbeatMs } = this.live.options;
      session = new SseSession(res, matcher, clientBuffer, heartbeatMs);
      this.live.sessions.add(session);
      unsubscribe = this.live.hub.subscribe(session, lastEventId);
    } catch (err) {
      closed();
      throw err;
    }
    // A client gone while the stream was being set up: its close events have been and gone.
    if (gone(req, res)) closed();
  }
}

/**
 * True when the client of `req` is gone: its response destroyed, or its socket gone or destroyed. (Not
 * `req.destroyed`: a request whose body was read to its end is destroyed while its client still waits.)
 */
function gone(req: Request, res: Response): boolean {
  return res.destroyed || !req.socket || req.socket.destroyed;
}
