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
  type HumanVerdict,
  humanLabelReader,
  scoreClassifier,
} from './classifier-score.js';
