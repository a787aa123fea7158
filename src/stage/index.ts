/** The main job's run: stage from git, report extras, job summary. See docs/architecture.md, "The main job". */
export { runStage, type StageRunOptions, type StageRunResult } from './run.js';
export { stageReport, summaryMarkdown, StageReport } from './summary.js';
export { apiCounts } from './api.js';
export { StageList, loadStageList, notAStage, STAGES_FILE, DEFAULT_STAGES, StagesConfig } from './stages.js';
export { DEFAULT_PLAYBOOK, fleetPlaybook, SHIPPED_PLAYBOOK } from './playbook.js';
