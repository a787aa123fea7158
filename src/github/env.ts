import { z } from 'zod';

export const DEFAULT_API_URL = 'https://api.github.com';
const DEFAULT_SERVER_URL = 'https://github.com';

/** The GitHub Actions variables fleetplay reads; empty strings count as unset (an unset secret is ""). */
const blankIsUnset = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

const ActionsEnv = z.object({
  GITHUB_TOKEN: blankIsUnset,
  GITHUB_REPOSITORY: blankIsUnset,
  GITHUB_SHA: blankIsUnset,
  GITHUB_API_URL: blankIsUnset,
  GITHUB_SERVER_URL: blankIsUnset,
  GITHUB_RUN_ID: blankIsUnset,
  GITHUB_RUN_ATTEMPT: blankIsUnset,
});

/** What a GitHub Actions job tells fleetplay about where to publish. */
export interface ActionsContext {
  token?: string;
  /** `owner/repo`. */
  repository?: string;
  /**
   * GITHUB_SHA: the commit that triggered the workflow. After a workflow_run or on a schedule it is
   * NOT the deployed commit — prefer `currentStage(dir).commit`, which is what was checked out.
   */
  sha?: string;
  /** REST API root; GITHUB_API_URL on GitHub Enterprise Server (e.g. https://ghe.example.com/api/v3). */
  apiUrl: string;
  /** Link to this workflow run, for the commit status' Details link. */
  targetUrl?: string;
}

/** Reads the Actions environment; nothing here fails, missing parts are left undefined. */
export function fromActionsEnv(env: NodeJS.ProcessEnv = process.env): ActionsContext {
  const e = ActionsEnv.parse(env);
  const serverUrl = (e.GITHUB_SERVER_URL ?? DEFAULT_SERVER_URL).replace(/\/+$/, '');
  const targetUrl =
    e.GITHUB_REPOSITORY && e.GITHUB_RUN_ID
      ? `${serverUrl}/${e.GITHUB_REPOSITORY}/actions/runs/${e.GITHUB_RUN_ID}${e.GITHUB_RUN_ATTEMPT ? `/attempts/${e.GITHUB_RUN_ATTEMPT}` : ''}`
      : undefined;
  return {
    token: e.GITHUB_TOKEN,
    repository: e.GITHUB_REPOSITORY,
    sha: e.GITHUB_SHA,
    apiUrl: (e.GITHUB_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, ''),
    targetUrl,
  };
}
