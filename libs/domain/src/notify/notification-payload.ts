import type { FindingSeverity, SinkKind } from './notify-config.js';

/** The finding as a notification carries it: frozen in the outbox row when it is enqueued. */
export interface NotifiedFinding {
  id: string;
  ruleId: string;
  severity: FindingSeverity;
  jobId: string | null;
  summary: string;
  evidence: Record<string, unknown>;
  firstSeenAt: string;
}

/** What the outbox row's `payload` holds: the event and its finding, as they were at enqueue time. */
export interface NotificationEvent {
  event: 'finding' | 'test';
  finding: NotifiedFinding;
}

/** The body of a generic webhook delivery: the event, with the delivery id (also sent as `X-Beacon-Delivery`). */
export interface WebhookBody extends NotificationEvent {
  deliveryId: string;
}

/** The JSON body sent to a sink of `kind` for one delivery. */
export function renderBody(kind: SinkKind, deliveryId: string, event: NotificationEvent): string {
  if (kind === 'slack') return JSON.stringify(slackMessage(event));
  const body: WebhookBody = { deliveryId, event: event.event, finding: event.finding };
  return JSON.stringify(body);
}

/** Slack's limits: a header's plain text, a section's text and a context element's text. */
const SLACK_HEADER_MAX = 150;
const SLACK_TEXT_MAX = 3000;
const EVIDENCE_LINE_MAX = 200;

/** Text cut to `max` characters (a code point is never split), with an ellipsis when it was cut. */
function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Slack mrkdwn escaping: only `&`, `<` and `>` are control characters there. */
function mrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * One short line of a finding's evidence: its scalar fields (`key=value`), then list sizes (`key: n`), in the order the
 * rule wrote them, cut to 200 characters.
 */
export function evidenceLine(evidence: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(evidence)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') parts.push(`${k}=${String(v)}`);
    else if (Array.isArray(v)) parts.push(`${k}: ${v.length}`);
  }
  return cut(parts.join(', ') || 'no evidence fields', EVIDENCE_LINE_MAX);
}

/** A Slack incoming-webhook message: `text` (the notification's fallback) and blocks with the finding. */
export function slackMessage(event: NotificationEvent): { text: string; blocks: unknown[] } {
  const f = event.finding;
  const title = event.event === 'test' ? 'Beacon test notification' : `Beacon ${f.severity}: ${f.ruleId}`;
  return {
    text: cut(`${title}: ${f.summary}`, SLACK_TEXT_MAX),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: cut(title, SLACK_HEADER_MAX) } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Rule*\n${mrkdwn(f.ruleId)}` },
          { type: 'mrkdwn', text: `*Severity*\n${f.severity}` },
          { type: 'mrkdwn', text: `*Job*\n${mrkdwn(f.jobId ?? '-')}` },
          { type: 'mrkdwn', text: `*Finding*\n${mrkdwn(f.id)}` },
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: mrkdwn(cut(f.summary, SLACK_TEXT_MAX - 200)) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwn(evidenceLine(f.evidence)) }] },
    ],
  };
}

/** The event `beacon notify test` sends: a made-up info finding that says what it is. */
export function testEvent(now: Date): NotificationEvent {
  return {
    event: 'test',
    finding: {
      id: '0',
      ruleId: 'test',
      severity: 'info',
      jobId: null,
      summary: 'Test notification from `beacon notify test`: this sink is reachable and accepts Beacon deliveries.',
      evidence: {},
      firstSeenAt: now.toISOString(),
    },
  };
}
