import type { JudgedClassification } from '../judge/judge.classifier.js';
import { humanLabelReader, scoreClassifier, type ClassifierScore } from '../score/classifier-score.js';
import type { Table } from '../score/tabular.reader.js';
import { labelAll, type Labeller } from './labeller.js';

/** Which columns of a table to read; the columns must exist (the caller checks them against `table.columns`). */
export interface ClassifyTableOptions {
  /** The response. */
  completionColumn: string;
  /** The request, shown to the judge; null for none. */
  promptColumn: string | null;
  /** Human labels: score the classifier against them. */
  labelsColumn?: string;
  /** With `labelsColumn`: the label values that mean refused (default: values naming a refusal). */
  refusalValues?: readonly string[];
}

/** One labelled row: its 1-based number, its `id` column when the table has one, the label and the human label. */
export type LabelledRow = { row: number; id: string | null } & JudgedClassification & {
    /** The human label as written ('' when empty); set only when scoring. */
    human?: string;
    completion: string | null;
  };

/** Every row labelled, the score against the human labels (when asked) and how many rows the judge left to the rules. */
export interface TableClassification {
  version: string;
  rows: LabelledRow[];
  score: ClassifierScore | null;
  judgeErrors: number;
}

/** Labels the rows of a table (a CSV or JSON Lines file) and, with a labels column, scores the labels. */
export async function classifyTable(table: Table, options: ClassifyTableOptions, labeller: Labeller): Promise<TableClassification> {
  const { completionColumn, promptColumn, labelsColumn } = options;
  const idColumn = table.columns.includes('id') ? 'id' : null;
  const labelled = await labelAll(
    labeller,
    table.rows.map((row) => ({
      content: row[completionColumn] ?? null,
      prompt: promptColumn ? (row[promptColumn] ?? null) : null,
    })),
  );
  const rows: LabelledRow[] = table.rows.map((row, i) => ({
    row: i + 1,
    id: idColumn ? (row[idColumn] ?? null) : null,
    ...labelled[i]!,
    human: labelsColumn !== undefined ? (row[labelsColumn] ?? '') : undefined,
    completion: row[completionColumn] ?? null,
  }));
  const score =
    labelsColumn !== undefined
      ? scoreClassifier(
          rows.map((r) => ({ predicted: r.label, human: r.human ?? '' })),
          humanLabelReader(options.refusalValues),
        )
      : null;
  return { version: labeller.version, rows, score, judgeErrors: rows.filter((r) => r.judgeError).length };
}
