/** What a diff reference names. */
export type DiffRef =
  | { kind: 'execution'; id: string }
  | { kind: 'attempt'; id: string }
  /** An imported execution by the Go runner's id (what imported findings cite). */
  | { kind: 'legacy'; id: string };

/**
 * Parses a diff reference: `e:<id>` or a bare id for an execution, `a:<id>` for an attempt, `l:<id>` for an imported
 * execution by its legacy id. Returns the problem as text when it is not one.
 */
export function parseDiffRef(raw: string | undefined): DiffRef | string {
  if (raw === undefined || raw.trim() === '') return 'is required: e:<execution id>, a:<attempt id>, l:<legacy id> or a bare execution id';
  const m = /^(?:(e|a|l):)?([1-9]\d{0,17})$/.exec(raw.trim());
  if (!m) return `${JSON.stringify(raw)} is not e:<execution id>, a:<attempt id>, l:<legacy id> or a bare execution id`;
  const kind = m[1] === 'a' ? 'attempt' : m[1] === 'l' ? 'legacy' : 'execution';
  return { kind, id: m[2]! };
}
