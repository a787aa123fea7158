/** The monitor: desired state (engine dry-run or report) + OTA observation → state per device → verdict. */
export * from './model.js';
export {
  classifyDevice,
  classifyAll,
  classifyOs,
  classifyConfig,
  countStates,
  verdict,
  allowedFailures,
  countWords,
  humanDuration,
  type ClassifyOptions,
  type MaxFailed,
} from './classify.js';
export { desiredFromPlan, desiredFromReport, desiredFromEngine, type EngineInput } from './desired.js';
export { observe, type Observation } from './observe.js';
export { snapshot, follow, type SnapshotOptions, type FollowOptions, type FollowHooks } from './run.js';
export { table, markdown, progressBar, progressLine, countsLine, settledLine, notConverged } from './render.js';
export { renderHtml, chartSvg } from './html.js';
export { parseDuration, parseMaxFailed } from './options.js';
export { runMonitor, registerMonitorCommand, MONITOR_DEFAULTS, type MonitorArgs, type MonitorIo } from './command.js';
