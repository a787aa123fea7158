/** The playbook engine: load, run, report. See docs/playbooks.md. */
export { runPlaybook, modeFrom, DEFAULT_FORKS, type RunOptions, type RunResult } from './run.js';
export { loadPlaybook } from './loader.js';
export { RunReport, TaskRecord, TaskResults, StatsSchema, groupResults, flatResults } from './report.js';
export { writeReport } from './report-file.js';
export type { Stats } from './output.js';
export { registerRunCommand, DEFAULT_PLAYBOOK, DEFAULT_INVENTORY, parseExtraVars } from './cli.js';
