import { z } from 'zod';

/** Ids of jobs and questions: `^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/**
 * The shape of a BCP-47 language tag: a 2-3 letter language, an optional 4-letter script, an optional 2-letter or
 * 3-digit region, then variants (`en`, `zh-Hans`, `pt-BR`, `es-419`, `de-CH-1996`). Only the shape is checked, not
 * the IANA registry: a typo such as `english` or `en_US` is what this catches.
 */
export const LANGUAGE_TAG_PATTERN =
  /^[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*$/;

/** Longest question text accepted, in characters. */
export const MAX_QUESTION_TEXT = 10_000;

/** An integer in `min..max`, every failure reported with the same message. */
export function intBetween(min: number, max: number) {
  const error = `must be an integer between ${min} and ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** A positive integer (up to the largest safe integer). */
export function positiveInt() {
  const error = 'must be a positive integer';
  return z.int({ error }).min(1, { error });
}

/** A finite number in `min..max`, every failure reported with the same message. */
export function numberBetween(min: number, max: number) {
  const error = `must be a number between ${min} and ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

/** A job or question id matching {@link ID_PATTERN}. */
export function idString() {
  return z.string().regex(ID_PATTERN, { error: `must match ${ID_PATTERN.source}` });
}

/** Question text: 1 to {@link MAX_QUESTION_TEXT} characters. */
export function questionText() {
  return z.string().min(1).max(MAX_QUESTION_TEXT);
}

/** An optional BCP-47 language tag (shape only, see {@link LANGUAGE_TAG_PATTERN}); null or left out for none. */
export function languageTag() {
  return z.string().regex(LANGUAGE_TAG_PATTERN, { error: 'must be a BCP-47 language tag such as en or zh-Hans' });
}

/** A strict object whose unknown-key problems list the known keys. */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key (known: ${known})` : undefined),
  });
}
