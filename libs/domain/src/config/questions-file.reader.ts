import { readFileSync } from 'node:fs';
import type { Problem } from '../problems/problem.js';
import { describeValue } from '../json/zod-issue.mapper.js';

/** The entries of a questions file and where they sit, as path segments under `questionsFile`. */
export interface QuestionsFileContent {
  entries: unknown[];
  listPath: PropertyKey[];
}

/**
 * Reads a questions file: JSON shaped like `{ "questions": [{ id, text, category }] }` (a bare list
 * is accepted too). Problems are reported under the `questionsFile` key; entries are checked by the caller.
 */
export function readQuestionsFile(file: string, problems: Problem[]): QuestionsFileContent | undefined {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    problems.push({ path: 'questionsFile', message: `cannot read questions from ${file}: ${reason}` });
    return undefined;
  }
  if (Array.isArray(data)) return { entries: data, listPath: ['questionsFile'] };
  const list = (data as { questions?: unknown } | null)?.questions;
  if (Array.isArray(list)) return { entries: list, listPath: ['questionsFile', 'questions'] };
  problems.push({
    path: 'questionsFile',
    message: `${file} must hold {"questions": [...]} or a list of questions, not ${describeValue(data)}`,
  });
  return undefined;
}
