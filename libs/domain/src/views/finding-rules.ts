/**
 * The reconciler rules whose findings report extra copies of one cell (several executions rows, or several succeeded
 * attempts); each finding's evidence `count` is how many copies there are. Job listings count duplicates by these.
 */
export const DUPLICATE_FINDING_RULES = ['duplicate_cell', 'duplicate_results'] as const;
