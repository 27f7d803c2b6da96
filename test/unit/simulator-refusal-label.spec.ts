import { describe, expect, it } from '@jest/globals';
import { classifyResponse } from '@beacon/classifier';
import { OVERRIDE_REFUSAL } from '@beacon/simulator';

describe("the simulator's refusal override", () => {
  it('answers with a text the classifier labels refused (what drift detection then counts)', () => {
    expect(classifyResponse({ content: OVERRIDE_REFUSAL, finishReason: 'stop' }).label).toBe('refused');
  });
});
