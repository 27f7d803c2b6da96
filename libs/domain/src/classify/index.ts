export {
  type Table,
  type TableFormat,
  TableFormatError,
  parseCsv,
  readCsvTable,
  readJsonlTable,
  readTable,
  tableFormatOf,
} from './tabular.reader.js';
export {
  type ClassifierScore,
  type ConfusionMatrix,
  type ScoredRow,
  humanRefusalMatcher,
  scoreClassifier,
} from './classifier-score.js';
