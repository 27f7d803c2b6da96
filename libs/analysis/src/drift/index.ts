export * from './drift.types.js';
export { fisherExact, benjaminiHochberg, logFactorial } from './fisher.js';
export {
  DRIFT_RULES,
  DRIFT_RULE_IDS,
  detectDrift,
  detectDriftHistory,
  evaluateRun,
  indexSeries,
  medianMad,
  type IndexedSeries,
} from './detect-drift.js';
export { noiseSeries, NOISE_SERIES_DEFAULTS, type NoiseSeriesOptions, type NoiseQuestion, type InjectedShift } from './noise-series.js';
