import { appendFile } from 'node:fs/promises';
import { err, fleetError, ok, type Result } from '../errors/index.js';
import { maskSecrets } from '../log/index.js';

export type SummaryOutcome = { written: true; path: string } | { written: false; reason: string };

/**
 * Appends markdown to the job summary ($GITHUB_STEP_SUMMARY). Outside Actions nothing is written.
 * Masked first: the summary is public to everyone who can read the workflow run.
 */
export async function appendStepSummary(
  markdown: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Result<SummaryOutcome>> {
  const path = env.GITHUB_STEP_SUMMARY?.trim();
  if (!path) return ok({ written: false, reason: 'job summary not written: GITHUB_STEP_SUMMARY is not set' });
  const text = maskSecrets(markdown);
  try {
    await appendFile(path, text.endsWith('\n') ? text : `${text}\n`, 'utf8');
    return ok({ written: true, path });
  } catch (e) {
    return err(
      fleetError('github.summary-failed', `cannot append the job summary: ${(e as Error).message}`, {
        file: path,
        hint: 'GITHUB_STEP_SUMMARY must name a writable file (GitHub Actions sets it for every step)',
      }),
    );
  }
}
