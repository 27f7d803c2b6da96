import type { ReconcilerRule } from '../reconciler.types.js';
import { batchModeRule } from './batch-mode.rule.js';
import { duplicateCellRule } from './duplicate-cell.rule.js';
import { duplicateResultsRule } from './duplicate-results.rule.js';
import { identicalResponsesRule } from './identical-responses.rule.js';
import { impossibleTimesRule } from './impossible-times.rule.js';
import { jobStatusRule } from './job-status.rule.js';
import { missingCellsRule } from './missing-cells.rule.js';
import { outOfSpecRule } from './out-of-spec.rule.js';
import { overlappingAttemptsRule } from './overlapping-attempts.rule.js';
import { promptDriftRule } from './prompt-drift.rule.js';
import { regionFailingRule } from './region-failing.rule.js';
import { regionMismatchRule } from './region-mismatch.rule.js';
import { servedElsewhereRule } from './served-elsewhere.rule.js';
import { retryBurstRule } from './retry-burst.rule.js';
import { retryStormRule } from './retry-storm.rule.js';
import { stalledPendingRule } from './stalled-pending.rule.js';
import { stuckRunningRule } from './stuck-running.rule.js';
import { transparencyLogRule } from './transparency-log.rule.js';
import { workAfterEndRule } from './work-after-end.rule.js';

/** Every rule, most severe concerns first. */
export const RULES: readonly ReconcilerRule[] = [
  duplicateResultsRule,
  duplicateCellRule,
  overlappingAttemptsRule,
  stuckRunningRule,
  stalledPendingRule,
  retryStormRule,
  jobStatusRule,
  missingCellsRule,
  outOfSpecRule,
  regionMismatchRule,
  servedElsewhereRule,
  promptDriftRule,
  impossibleTimesRule,
  workAfterEndRule,
  regionFailingRule,
  identicalResponsesRule,
  retryBurstRule,
  batchModeRule,
  transparencyLogRule,
];
