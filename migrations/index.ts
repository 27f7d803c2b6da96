import { InitialSchema1764000000000 } from './1764000000000-initial-schema.js';
import { Findings1764100000000 } from './1764100000000-findings.js';
import { Imports1764200000000 } from './1764200000000-imports.js';
import { Repairs1764300000000 } from './1764300000000-repairs.js';
import { LiveEvents1764400000000 } from './1764400000000-live-events.js';
import { Classifications1764500000000 } from './1764500000000-classifications.js';
import { Security1764600000000 } from './1764600000000-security.js';
import { EngineOutcomesE1796317673186 } from './1796317673186-engine-outcomes-e.js';
import { AuthLimitsC1796317992992 } from './1796317992992-auth-limits-c.js';
import { AnalysisVersions1796400000000 } from './1796400000000-analysis-versions.js';
import { ImportedTimeOrder1796500000000 } from './1796500000000-imported-time-order.js';
import { ImportedJobFacts1796500000001 } from './1796500000001-imported-job-facts.js';
import { JobCost1796500000030 } from './1796500000030-job-cost.js';
import { Schedules1796600000000 } from './1796600000000-schedules.js';
import { Trends1796700000000 } from './1796700000000-trends.js';
import { Notifications1796800000000 } from './1796800000000-notifications.js';
import { ServedBy1796900000000 } from './1796900000000-served-by.js';
import { JobDeadline1797000000000 } from './1797000000000-job-deadline.js';
import { CellVariants1797100000000 } from './1797100000000-cell-variants.js';
import { TrendVariants1797100000001 } from './1797100000001-trend-variants.js';
import { TransparencyLog1797200000000 } from './1797200000000-transparency-log.js';
import { OperatorControls1797300000000 } from './1797300000000-operator-controls.js';
import { KeyConcurrencyBound1797400000000 } from './1797400000000-key-concurrency-bound.js';

/** Every migration, in order. The DataSource takes classes, not a glob, so tests and the built CLI load the same list. */
export const MIGRATIONS = [
  InitialSchema1764000000000,
  Findings1764100000000,
  Imports1764200000000,
  Repairs1764300000000,
  LiveEvents1764400000000,
  Classifications1764500000000,
  Security1764600000000,
  EngineOutcomesE1796317673186,
  AuthLimitsC1796317992992,
  AnalysisVersions1796400000000,
  ImportedTimeOrder1796500000000,
  ImportedJobFacts1796500000001,
  JobCost1796500000030,
  Schedules1796600000000,
  Trends1796700000000,
  Notifications1796800000000,
  ServedBy1796900000000,
  JobDeadline1797000000000,
  CellVariants1797100000000,
  TrendVariants1797100000001,
  TransparencyLog1797200000000,
  OperatorControls1797300000000,
  KeyConcurrencyBound1797400000000,
];
