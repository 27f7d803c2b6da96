export {
  TIMELINE_MARKS,
  type TimelineLaneRow,
  type TimelineSpecAxes,
  errorLine,
  laneMarks,
  specAxes,
  timelineLane,
} from './timeline.builder.js';
export { type TimelineCursor, decodeTimelineCursor, encodeTimelineCursor } from './timeline-cursor.js';
export { MARK_LETTERS, OUTCOME_GLYPHS, type TimelineRenderOptions, formatDuration, laneBar, renderTimeline } from './timeline.renderer.js';
