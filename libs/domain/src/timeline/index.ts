export {
  TIMELINE_MARKS,
  type TimelineLaneRow,
  endsBeforeStartMs,
  type TimelineSpecAxes,
  errorLine,
  laneMarks,
  specAxes,
  timelineLane,
} from './timeline.builder.js';
export { type TimelineCursor, decodeTimelineCursor, encodeTimelineCursor } from './timeline-cursor.js';
export {
  BACKWARDS_GLYPH,
  MARK_LETTERS,
  OUTCOME_GLYPHS,
  type TimelineRenderOptions,
  formatDuration,
  laneBar,
  renderTimeline,
} from './timeline.renderer.js';
