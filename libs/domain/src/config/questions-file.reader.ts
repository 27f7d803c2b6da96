import { readFileSync, statSync } from 'node:fs';
import type { Problem } from '../problems/problem.js';
import { describeValue } from '../json/zod-issue.mapper.js';

/** Largest questions file read, in bytes: 10,000 questions of 1,000 characters are about 10 MiB. */
export const QUESTIONS_FILE_MAX_BYTES = 64 * 1024 * 1024;

/** The entries of a questions file and where they sit, as path segments under `questionsFile`. */
export interface QuestionsFileContent {
  entries: unknown[];
  listPath: PropertyKey[];
}

/** `bytes` as `12 KiB` or `70.5 MiB`. */
export function sizeText(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
}

/**
 * Reads a questions file: JSON shaped like `{ "questions": [{ id, text, category, language }] }` (a bare list
 * is accepted too). Problems are reported under the `questionsFile` key; entries are checked by the caller.
 */
export function readQuestionsFile(
  file: string,
  problems: Problem[],
  maxBytes = QUESTIONS_FILE_MAX_BYTES,
): QuestionsFileContent | undefined {
  let text: string;
  try {
    // Checked before reading, so a huge file (or a device) is refused without being held in memory.
    const { size } = statSync(file);
    if (size > maxBytes) {
      problems.push({
        path: 'questionsFile',
        message: `${file} is ${sizeText(size)}, over the ${sizeText(maxBytes)} a questions file may be`,
      });
      return undefined;
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    problems.push({ path: 'questionsFile', message: `cannot read questions from ${file}: ${reason}` });
    return undefined;
  }
  return parseQuestionsJson(text, file, problems);
}

/** The entries of a JSON questions bank already read; `file` names it in problems. */
export function parseQuestionsJson(text: string, file: string, problems: Problem[]): QuestionsFileContent | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
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
