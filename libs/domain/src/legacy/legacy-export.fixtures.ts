// Test fixtures: a minimal Go runner export (one job, one execution) for the reader's and the row builder's specs.

/** An exported job object; `over` replaces fields. */
export const legacyJob = (over: Record<string, unknown> = {}) => ({
  id: 7,
  jobspec_id: 'legacy-7',
  status: 'completed',
  created_at: '2025-09-30T15:00:00Z',
  jobspec_data: { questions: ['What is 2 + 2?'], metadata: { models: ['m1'] }, constraints: { regions: ['us-east'] } },
  ...over,
});

/** An exported execution of {@link legacyJob}; `over` replaces fields. */
export const legacyExecution = (over: Record<string, unknown> = {}) => ({
  id: 1,
  job_id: 'legacy-7',
  status: 'completed',
  region: 'us-east',
  model_id: 'm1',
  question_id: null,
  created_at: '2025-09-30T15:00:01Z',
  started_at: '2025-09-30T15:00:01Z',
  completed_at: '2025-09-30T15:00:02Z',
  output: { response: '4', provider: 'p', metadata: { prompt: 'What is 2 + 2?', system_prompt: 'sys', temperature: 0.1 } },
  ...over,
});
