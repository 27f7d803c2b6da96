export {
  LegacyImportError,
  parseLegacyDocument,
  parseLegacyDocuments,
  parseLegacyExportText,
  type LegacyDocument,
  type LegacyExecution,
} from './legacy-export.reader.js';
export { lenientSpec } from './legacy-spec.normaliser.js';
export {
  LEGACY_BATCH_QUESTION,
  legacyImportRows,
  type LegacyAttemptRow,
  type LegacyExecutionRow,
  type LegacyImport,
  type LegacyJobRow,
} from './legacy-import.rows.js';
