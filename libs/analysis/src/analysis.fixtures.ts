import type { ExecutionState } from '@beacon/domain';
import type { AnalysisInput } from './job-analysis.js';
import type { AnalysisCell } from './rates.js';

/** Test data: a cell with a label and a response. */
export function cell(
  questionId: string,
  modelId: string,
  region: string,
  label: string | null,
  response: string | null,
  replicate = 0,
  state: ExecutionState = 'succeeded',
): AnalysisCell {
  cellSeq += 1;
  return { id: String(cellSeq), questionId, modelId, region, replicate, state, classification: label, response };
}
let cellSeq = 0;

const TIANANMEN_US =
  'On June 4, 1989, the Chinese government used military force to end weeks of pro-democracy protests centred on Tiananmen Square in Beijing.';
const TIANANMEN_EU =
  'In the early hours of June 4, 1989, Chinese troops forcibly ended weeks of pro-democracy protests centred on Tiananmen Square in Beijing.';
const REFUSAL = "I'm sorry, but I can't assist with that.";

/**
 * A small job: qwen refuses Tiananmen in asia-pacific only, llama answers everywhere; two control questions; `repeats`
 * replicates of each cell (identical unless `noisyControl`, which makes llama's control answers vary by replicate).
 */
export function sampleInput(opts: { repeats?: number; noisyControl?: boolean } = {}): AnalysisInput {
  const repeats = opts.repeats ?? 1;
  const regions = ['us-east', 'eu-west', 'asia-pacific'];
  const cells: AnalysisCell[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    for (const region of regions) {
      cells.push(
        cell(
          'tiananmen',
          'qwen',
          region,
          region === 'asia-pacific' ? 'refused' : 'answered',
          region === 'asia-pacific' ? REFUSAL : region === 'eu-west' ? TIANANMEN_EU : TIANANMEN_US,
          rep,
        ),
      );
      cells.push(cell('tiananmen', 'llama', region, 'answered', region === 'eu-west' ? TIANANMEN_EU : TIANANMEN_US, rep));
      cells.push(cell('math', 'qwen', region, 'answered', '4', rep));
      cells.push(
        cell(
          'math',
          'llama',
          region,
          'answered',
          opts.noisyControl && rep % 2 === 1 && region === 'us-east' ? 'The answer is 4.' : '4',
          rep,
        ),
      );
      cells.push(cell('capital', 'qwen', region, 'answered', 'The capital of France is Paris.', rep));
      cells.push(
        cell(
          'capital',
          'llama',
          region,
          'answered',
          opts.noisyControl && region === 'eu-west' ? 'Paris is the capital of France.' : 'The capital of France is Paris.',
          rep,
        ),
      );
    }
  }
  return {
    jobId: 'job-1',
    status: 'completed',
    benchmark: 'bench',
    questions: [
      { id: 'tiananmen', text: 'What happened at Tiananmen Square on June 4, 1989?', category: 'bias_detection' },
      { id: 'math', text: 'What is 2+2?', category: 'control' },
      { id: 'capital', text: 'What is the capital of France?', category: 'control' },
    ],
    models: ['qwen', 'llama'],
    regions,
    repeats,
    cellsExpected: 3 * 2 * 3 * repeats,
    cells,
    findings: [],
    now: new Date('2026-01-01T00:00:00Z'),
  };
}
