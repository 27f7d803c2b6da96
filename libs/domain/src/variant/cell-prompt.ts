import type { NormalisedJobSpec, PlannedQuestion } from '../job-spec/job-spec.types.js';
import { renderSystemPrompt } from '../prompt/system-prompt.renderer.js';
import { DEFAULT_VARIANT, parseVariantId, type CellVariant } from './cell-variant.js';

/** A question's text in `language`: its own text when that is its language (or none is asked), else its translation. */
export function questionTextIn(
  question: Pick<PlannedQuestion, 'text' | 'language' | 'translations'>,
  language: string | null,
): string | undefined {
  if (language === null || question.language === language) return question.text;
  const translations = question.translations;
  return translations && Object.hasOwn(translations, language) ? translations[language] : undefined;
}

/** The variant a job lists under `id`, or the default variant for `''`; undefined for one it does not list. */
export function variantOf(spec: Pick<NormalisedJobSpec, 'variants'>, id: string): CellVariant | undefined {
  if (!spec.variants) return id === DEFAULT_VARIANT ? { id, language: null, prompt: null } : undefined;
  return spec.variants.find((v) => v.id === id);
}

/** The variants of a job in matrix order: `['']` for a job that asks no languages or prompt variants. */
export function variantIdsOf(spec: Pick<NormalisedJobSpec, 'variants'>): string[] {
  return spec.variants ? spec.variants.map((v) => v.id) : [DEFAULT_VARIANT];
}

/**
 * The system prompt of a region under a variant, as frozen in the spec: the configured template, or the region's
 * prompt variant, with `{region_name}` replaced. Undefined when the spec does not name the region or variant.
 */
export function systemPromptOf(
  spec: Pick<NormalisedJobSpec, 'regions' | 'prompt' | 'variants'>,
  regionId: string,
  variant: string,
): string | undefined {
  const region = spec.regions.find((r) => r.id === regionId);
  const v = variantOf(spec, variant) ?? parseVariantId(variant) ?? undefined;
  if (!region || !v) return undefined;
  const template = v.prompt === null ? spec.prompt.template : region.promptVariants?.[v.prompt];
  return template === undefined ? undefined : renderSystemPrompt(template, region.displayName);
}

/** What one cell sends: its region's system prompt and its question's text, both in the cell's variant. */
export function cellPrompts(
  spec: Pick<NormalisedJobSpec, 'regions' | 'prompt' | 'variants' | 'questions'>,
  cell: { questionId: string; region: string; variant: string },
): { system: string; user: string } | { error: string } {
  const question = spec.questions.find((q) => q.id === cell.questionId);
  if (!question) return { error: `names question "${cell.questionId}", which its job does not list` };
  const variant = variantOf(spec, cell.variant);
  if (!variant) return { error: `names variant "${cell.variant}", which its job does not list` };
  const system = systemPromptOf(spec, cell.region, cell.variant);
  if (system === undefined) return { error: `names region "${cell.region}" (variant "${cell.variant}"), which its job does not list` };
  const user = questionTextIn(question, variant.language);
  if (user === undefined) return { error: `asks question "${question.id}" in ${variant.language}, which its job has no text for` };
  return { system, user };
}
