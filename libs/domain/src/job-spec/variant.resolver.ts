import type { BeaconConfig } from '../config/config.types.js';
import { jsonChildPath } from '../json/zod-issue.mapper.js';
import type { Problem } from '../problems/problem.js';
import { questionTextIn } from '../variant/cell-prompt.js';
import { DEFAULT_PROMPT_VARIANT, jobVariants, type CellVariant } from '../variant/cell-variant.js';
import type { RegionEntry } from './axis.resolver.js';
import type { At } from './job-spec.reader.js';
import type { PlannedQuestion } from './job-spec.types.js';

/** A job's variants and its questions and regions with only the texts and prompts those variants need, frozen. */
export interface ResolvedVariants {
  /** Undefined for a job that asks no languages and no prompt variants (its one variant is the default). */
  variants: CellVariant[] | undefined;
  questions: PlannedQuestion[];
  regions: { id: string; displayName: string; promptVariants?: Record<string, string> }[];
}

/** A problem at the later entry of each value listed twice. */
function checkDistinct(list: At<string[]> | undefined, what: string, problems: Problem[]): void {
  if (!list) return;
  const first = new Map<string, number>();
  list.value.forEach((value, index) => {
    const seen = first.get(value);
    if (seen === undefined) first.set(value, index);
    else
      problems.push({
        path: jsonChildPath(list.path, index),
        message: `duplicate ${what} "${value}" (also at ${jsonChildPath(list.path, seen)})`,
      });
  });
}

/**
 * Checks a spec's `languages` and `prompt_variants` against its questions and regions: every question needs a text in
 * every language asked (its own, when it is in that language, or a translation), and every region the prompt
 * variants named. Each missing one is a problem naming the question's entry or the variant's.
 */
export function resolveVariants(
  languages: At<string[]> | undefined,
  promptVariants: At<string[]> | undefined,
  questions: readonly PlannedQuestion[],
  questionPaths: ReadonlyMap<string, string>,
  regions: readonly RegionEntry[],
  config: BeaconConfig,
  problems: Problem[],
): ResolvedVariants {
  checkDistinct(languages, 'language', problems);
  checkDistinct(promptVariants, 'prompt variant', problems);
  const asked = languages?.value ?? [];
  asked.forEach((language, index) => {
    for (const question of questions) {
      if (questionTextIn(question, language) !== undefined) continue;
      const where = question.source === 'bank' ? `bank question "${question.id}"` : `question "${question.id}"`;
      problems.push({
        path: questionPaths.get(question.id) ?? jsonChildPath(languages!.path, index),
        message: `${where} has no translation into "${language}" (asked by ${jsonChildPath(languages!.path, index)}); give translations["${language}"]`,
      });
    }
  });
  const named = (promptVariants?.value ?? []).filter((name) => name !== DEFAULT_PROMPT_VARIANT);
  promptVariants?.value.forEach((name, index) => {
    if (name === DEFAULT_PROMPT_VARIANT) return;
    const lacking = regions.filter((r) => !config.regions[r.id]?.promptVariants?.[name]).map((r) => r.id);
    if (lacking.length === 0) return;
    problems.push({
      path: jsonChildPath(promptVariants.path, index),
      message: `region${lacking.length > 1 ? 's' : ''} ${lacking.map((id) => `"${id}"`).join(', ')} ${lacking.length > 1 ? 'have' : 'has'} no prompt variant "${name}" (configure regions.<id>.promptVariants.${name})`,
    });
  });

  const variants = languages || promptVariants ? jobVariants(languages?.value ?? null, promptVariants?.value ?? null) : undefined;
  // Frozen with the job: only the texts and prompts its variants use, so the stored spec of a job without variants
  // is what it was before they existed, and a later change of the bank or region cannot change a retry's prompt.
  const frozenQuestions = questions.map(({ translations, ...question }) => {
    const kept = Object.fromEntries(
      asked.filter((l) => l !== question.language && translations && Object.hasOwn(translations, l)).map((l) => [l, translations![l]!]),
    );
    return Object.keys(kept).length > 0 ? { ...question, translations: kept } : question;
  });
  const frozenRegions = regions.map(({ id, displayName }) => {
    const configured = config.regions[id]?.promptVariants ?? {};
    const kept = Object.fromEntries(named.filter((n) => Object.hasOwn(configured, n)).map((n) => [n, configured[n]!]));
    return Object.keys(kept).length > 0 ? { id, displayName, promptVariants: kept } : { id, displayName };
  });
  return { variants, questions: frozenQuestions, regions: frozenRegions };
}
