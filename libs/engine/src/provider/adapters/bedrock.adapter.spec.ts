import { describe, expect, it } from '@jest/globals';
import { awsErrorType, converseUrl, finishReasonOf, guardrailSummary } from './bedrock.adapter.js';

describe('bedrock adapter parsing', () => {
  it('encodes the model id as one path segment', () => {
    expect(converseUrl('https://bedrock-runtime.us-east-1.amazonaws.com/', 'us.anthropic.claude-3-haiku-20240307-v1:0')).toBe(
      'https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-haiku-20240307-v1%3A0/converse',
    );
    expect(converseUrl('http://h', 'arn:aws:bedrock:us-east-1:1:inference-profile/x')).toBe(
      'http://h/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx/converse',
    );
  });

  it('takes the error type from the header (before the colon), else from the body __type (after #)', () => {
    const headers = { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' };
    expect(awsErrorType({ headers, text: '{}' })).toBe('ThrottlingException');
    expect(awsErrorType({ headers: {}, text: '{"__type":"com.amazon.coral.validate#ValidationException"}' })).toBe('ValidationException');
    expect(awsErrorType({ headers: {}, text: '{"__type":"AccessDeniedException"}' })).toBe('AccessDeniedException');
    expect(awsErrorType({ headers: {}, text: 'not json' })).toBeNull();
  });

  it('maps stop reasons to the classifier vocabulary and keeps unknown ones', () => {
    expect(
      ['end_turn', 'stop_sequence', 'max_tokens', 'guardrail_intervened', 'content_filtered', 'tool_use', null].map(finishReasonOf),
    ).toEqual(['stop', 'stop', 'length', 'content_filter', 'content_filter', 'tool_use', null]);
  });

  it('summarises what acted in a guardrail trace, input and output, and nothing for an empty trace', () => {
    expect(
      guardrailSummary({
        guardrail: {
          inputAssessment: {
            g1: { sensitiveInformationPolicy: { piiEntities: [{ type: 'EMAIL', match: 'a@b.c', action: 'ANONYMIZED' }] } },
          },
          outputAssessments: { g1: [{ wordPolicy: { managedWordLists: [{ match: 'x', type: 'PROFANITY', action: 'BLOCKED' }] } }] },
        },
      }),
    ).toBe('input g1: sensitiveInformationPolicy EMAIL ANONYMIZED; output g1: wordPolicy PROFANITY BLOCKED');
    expect(guardrailSummary({ guardrail: { inputAssessment: {}, outputAssessments: {} } })).toBeNull();
    expect(guardrailSummary(undefined)).toBeNull();
  });
});
