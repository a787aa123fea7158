export { fromActionsEnv, DEFAULT_API_URL, type ActionsContext } from './env.js';
export {
  setCommitStatus,
  statusPublisher,
  statusContext,
  statusDescription,
  describeCounts,
  CommitState,
  MAX_DESCRIPTION,
  type CommitStatusInput,
  type StatusOutcome,
} from './status.js';
export { appendStepSummary, type SummaryOutcome } from './summary.js';
export {
  dispatchWorkflow,
  startUpdateRun,
  UPDATE_WORKFLOW,
  type DispatchInput,
  type DispatchOutcome,
} from './dispatch.js';
