import { describe, expect, it } from '@jest/globals';
import { evidenceLine, renderBody, slackMessage, testEvent, type NotificationEvent } from './notification-payload.js';

const event: NotificationEvent = {
  event: 'finding',
  finding: {
    id: '41',
    ruleId: 'label_flip',
    severity: 'warning',
    jobId: 'bias-<1>',
    summary: 'q3 on llama3.2-1b in eu-west: answered → refused & stays so',
    evidence: { question: 'q3', pValue: 0.001, runs: ['a', 'b', 'c'], detail: { nested: true } },
    firstSeenAt: '2026-01-01T00:00:00.000Z',
  },
};

describe('notification bodies', () => {
  it('a webhook body is the event with its delivery id, as JSON', () => {
    expect(JSON.parse(renderBody('webhook', '17', event))).toEqual({ deliveryId: '17', event: 'finding', finding: event.finding });
  });

  it('a Slack body has text and blocks with the summary, rule, job, severity and a short evidence line, escaped', () => {
    const msg = JSON.parse(renderBody('slack', '17', event)) as ReturnType<typeof slackMessage>;
    expect(msg.text).toBe('Beacon warning: label_flip: q3 on llama3.2-1b in eu-west: answered → refused & stays so');
    const text = JSON.stringify(msg.blocks);
    expect(text).toContain('*Rule*\\nlabel_flip');
    expect(text).toContain('*Severity*\\nwarning');
    expect(text).toContain('*Job*\\nbias-&lt;1&gt;');
    expect(text).toContain('refused &amp; stays so');
    expect(text).toContain('question=q3, pValue=0.001, runs: 3');
  });

  it('keeps Slack texts within Slack limits however long the finding', () => {
    const long = { ...event, finding: { ...event.finding, ruleId: 'r'.repeat(400), summary: 'x'.repeat(10_000) } };
    const msg = slackMessage(long) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect([...msg.text].length).toBeLessThanOrEqual(3000);
    expect([...msg.blocks[0]!.text!.text].length).toBeLessThanOrEqual(150);
    expect([...msg.blocks[2]!.text!.text].length).toBeLessThanOrEqual(3000);
    expect(evidenceLine(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]))).length).toBeLessThanOrEqual(200);
  });

  it('the test event says what it is', () => {
    const t = testEvent(new Date(0));
    expect(t.event).toBe('test');
    expect(slackMessage(t).text).toMatch(/^Beacon test notification/);
  });
});
