/**
 * A cell's variant: the language its question is asked in and the region prompt variant it is asked under. It is part
 * of the cell's key (`executions.variant`), so one job may ask a question in several languages and under several
 * prompts, each cell exactly once. The default variant (the question's own text, the configured system prompt) is the
 * empty string, which is what every cell planned before variants existed holds: their keys are unchanged.
 */

/** The variant of every cell of a job that asks for no languages and no prompt variants. */
export const DEFAULT_VARIANT = '';

/** The name of the configured system prompt among a job's `prompt_variants`. */
export const DEFAULT_PROMPT_VARIANT = 'default';

/** Names of region prompt variants: no `;` or `=`, so a variant id reads back unambiguously. */
export const PROMPT_VARIANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** One variant of a job's matrix. */
export interface CellVariant {
  /** {@link variantId} of the two below. */
  id: string;
  /** The BCP-47 tag the question is asked in, or null for each question's own text. */
  language: string | null;
  /** The region prompt variant's name, or null for the configured system prompt. */
  prompt: string | null;
}

/**
 * The canonical id of a variant: `lang=<tag>` and `prompt=<name>` joined by `;`, each left out when it is the
 * default, so the default variant is `''`. Examples: `lang=zh-Hans`, `prompt=native`, `lang=zh-Hans;prompt=native`.
 */
export function variantId(language: string | null, prompt: string | null): string {
  const parts: string[] = [];
  if (language !== null) parts.push(`lang=${language}`);
  if (prompt !== null && prompt !== DEFAULT_PROMPT_VARIANT) parts.push(`prompt=${prompt}`);
  return parts.join(';');
}

/** The language and prompt an id names; null when it is not an id {@link variantId} makes. */
export function parseVariantId(id: string): CellVariant | null {
  if (id === DEFAULT_VARIANT) return { id, language: null, prompt: null };
  let language: string | null = null;
  let prompt: string | null = null;
  for (const part of id.split(';')) {
    const [key, value, ...rest] = part.split('=');
    if (rest.length > 0 || !value) return null;
    if (key === 'lang' && language === null && prompt === null) language = value;
    else if (key === 'prompt' && prompt === null && value !== DEFAULT_PROMPT_VARIANT) prompt = value;
    else return null;
  }
  return variantId(language, prompt) === id ? { id, language, prompt } : null;
}

/** How a variant is shown to people: `default` for the default variant, else its id. */
export function variantLabel(id: string): string {
  return id === DEFAULT_VARIANT ? 'default' : id;
}

/**
 * The variants of a job, in matrix order: each language (or the questions' own text) with each prompt variant (or
 * the configured prompt). `['default']` and no languages give the one default variant.
 */
export function jobVariants(languages: readonly string[] | null, prompts: readonly string[] | null): CellVariant[] {
  const langs: (string | null)[] = languages && languages.length > 0 ? [...languages] : [null];
  const names: (string | null)[] = prompts && prompts.length > 0 ? prompts.map((p) => (p === DEFAULT_PROMPT_VARIANT ? null : p)) : [null];
  return langs.flatMap((language) => names.map((prompt) => ({ id: variantId(language, prompt), language, prompt })));
}
