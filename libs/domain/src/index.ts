export { type Problem, compareProblemPaths, sortProblems } from './problems/problem.js';
export { ConfigError } from './problems/config.error.js';

export type {
  BeaconConfig,
  ClassifierConfig,
  ConfigDefaults,
  ConfigLimits,
  JudgeConfig,
  ModelConfig,
  PromptConfig,
  QuestionDef,
  RegionConfig,
  ServerConfig,
} from './config/config.types.js';
export { BANK_LANGUAGES, BUILT_IN_SOURCE, ENGINE_LIMITS, SIMULATOR_BASE_URL, defaultConfig } from './config/default-config.data.js';
export { parseConfig } from './config/config.parser.js';
export { ANALYSIS_DEFAULTS, type AnalysisLimits } from './config/analysis-config.js';
export { CONFIG_FILE_NAME, type LoadConfigOptions, loadConfig } from './config/config.loader.js';
export { resolveRegion } from './config/region.resolver.js';
export {
  QUESTIONS_FILE_FORMATS,
  QUESTIONS_FILE_MAX_BYTES,
  QUESTION_FIELDS,
  type QuestionsFileFormat,
  type QuestionsFileProblem,
  type QuestionsFileResult,
  formatQuestionsFileProblem,
  loadQuestionsFile,
  parseQuestionsText,
  questionsFileFormatOf,
} from './config/questions-file.loader.js';
export { LANGUAGE_TAG_PATTERN } from './json/common.schema.js';
export { dottedPath, issuesToProblems, jsonPathFormatter, problemMessages } from './json/zod-issue.mapper.js';
export { PROVIDER_DEFAULTS, PROVIDER_KINDS, type ProviderConfig, type ProviderKind, openAiProvider } from './provider/provider-config.js';
export {
  ANY_REGION,
  CHAT_TEMPLATE_TOKENS,
  type Price,
  type PriceTable,
  callCost,
  callCostBound,
  priceOf,
  promptTokensBound,
} from './config/price-table.js';

export type { NormalisedJobSpec, PlannedQuestion, SpecFormat, SpecResult } from './job-spec/job-spec.types.js';
export type {
  BeaconJobSpecInput,
  GoPortalSubmissionInput,
  GoRunnerJobSpecInput,
  ModelInput,
  QuestionInput,
} from './job-spec/job-spec.schema.js';
export { DEFAULT_MIN_SUCCESS_RATE, DEFAULT_SPEC_VERSION, normaliseJobSpec } from './job-spec/job-spec.normaliser.js';
export { canonicalJson, sha256Hex } from './json/canonical-json.js';
export { REGION_NAME_PLACEHOLDER, renderSystemPrompt } from './prompt/system-prompt.renderer.js';

export { type PlanAxes, planAxes } from './plan/plan.js';
export {
  type CellVariant,
  DEFAULT_PROMPT_VARIANT,
  DEFAULT_VARIANT,
  jobVariants,
  parseVariantId,
  PROMPT_VARIANT_PATTERN,
  variantId,
  variantLabel,
} from './variant/cell-variant.js';
export { type CellKey, CELL_KEY_COLUMNS, cellKeySql, cellKeyString, crossRegionKeyString } from './variant/cell-key.js';
export { cellPrompts, questionTextIn, systemPromptOf, variantIdsOf, variantOf } from './variant/cell-prompt.js';
export { type RegionModelKey, regionModelKey, splitRegionModelKey } from './plan/region-model-key.js';

export {
  ACTIVE_EXECUTION_STATES,
  ACTIVE_JOB_STATUSES,
  type ActiveExecutionState,
  type ActiveJobStatus,
  ATTEMPT_OUTCOMES,
  type AttemptOutcome,
  type CancelAnswerStatus,
  cancelAnswerStatus,
  EXECUTION_STATES,
  type ExecutionState,
  finishedCells,
  isActiveExecutionState,
  isActiveJobStatus,
  isAttemptOutcome,
  isExecutionState,
  isJobStatus,
  isTerminalExecutionState,
  isTerminalJobStatus,
  JOB_STATUSES,
  type JobStatus,
  TERMINAL_EXECUTION_STATES,
  TERMINAL_JOB_STATUSES,
  type TerminalExecutionState,
  type TerminalJobStatus,
} from './status/job-status.js';
export { type JobRollupInput, rollupJobStatus } from './status/job-rollup.js';

export type {
  AttemptView,
  CellCounts,
  ErrorView,
  ExecutionDetailView,
  ExecutionView,
  JobDetailView,
  JobFindingCounts,
  JobSummaryView,
  Page,
  SubmitView,
  CancelView,
  RetryView,
  JobPauseView,
  KeyControlView,
  DaemonView,
  WhoamiView,
  DiffField,
  DiffFieldView,
  DiffSideView,
  DiffView,
  FindingView,
  LiveEventFilter,
  LiveEventKind,
  LiveEventView,
  LiveGapView,
  TimelineAttemptView,
  TimelineLaneView,
  TimelineMark,
  TimelineView,
  WordChange,
  ScheduleDetailView,
  ScheduleRunView,
  ScheduleTickView,
  ScheduleView,
} from './views/api-views.types.js';
export * from './schedule/index.js';
export * from './schedule/schedule-request.js';
export { DUPLICATE_FINDING_RULES } from './views/finding-rules.js';
export type { JobResultsSummaryView, LabelDivergence, LabelDivergencePage, RateView } from './views/job-results-summary.types.js';
export * from './retry/index.js';
export * from './report/index.js';
export * from './live/index.js';
export * from './auth/index.js';
export { FORBIDDEN_KEYS, MAX_JSON_DEPTH, parseStrictJson, type StrictJsonError, type StrictJsonResult } from './json/strict-json.js';
export { checkSpecText, storableText, storableValue, FREE_TEXT_KEYS, MAX_SPEC_KEY, MAX_SPEC_STRING } from './job-spec/spec-text.checks.js';
export * from './diff/index.js';
export * from './timeline/index.js';
export * from './random/mulberry32.js';
export * from './secrets/index.js';
export * from './notify/index.js';
export * from './legacy/index.js';
export { CONTROL_CHARS, escapeControlChars, hasControlChars } from './text/control-chars.js';
export type {
  ClassifiableResult,
  ClassificationRecord,
  ResponseLabeller,
  ResponseLabelling,
} from './classification/classification-record.js';

export {
  CONTROL_CATEGORY,
  TREND_LABELS,
  type TrendCellKey,
  type TrendLabel,
  type TrendPoint,
  type TrendRun,
  type TrendSeries,
} from './trend/trend.types.js';
export { axesDifference, type TrendAxes } from './trend/trend-axes.js';
export {
  compareCells,
  LABEL_GLYPHS,
  labelStrip,
  refusalRate,
  SPARK_LEVELS,
  sparkGlyph,
  sparkline,
  type TrendCell,
  type TrendCellCore,
  type TrendCellSummary,
  type TrendSummary,
  summariseTrend,
  trendCellKey,
  trendCells,
} from './trend/trend-cells.js';
export * from './evidence/index.js';
