export { type DiffRef, parseDiffRef } from './diff-ref.js';
export { DIFF_FIELDS, buildDiff, fieldText, wordChanges } from './diff.builder.js';
export { type DiffSideRow, diffSide } from './diff-side.js';
export { type DiffRenderOptions, SIDE_BY_SIDE_MIN_WIDTH, describeSide, renderDiff, wrapSegments } from './diff.renderer.js';
