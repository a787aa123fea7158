/**
 * Stale-run protection ("fresh" in the promotion guarantees): a run writes only the state of its
 * branch's head. Just before the first write, the branch head on the remote (git ls-remote) must
 * still be the commit the run checked out. When the branch moved on, the newer commit's own run
 * applies the newer state, and this one writes nothing.
 */
import { ExitCode, fleetError, type FleetError } from '../errors/index.js';
import { simpleGit } from 'simple-git';
import { remoteHead } from '../git/index.js';
import { isAncestor } from '../git/trees.js';
import type { WriteStop } from '../engine/apply.js';

export type Freshness =
  | { state: 'fresh' }
  /** No remote to move under the run (a local repository). */
  | { state: 'no-remote' }
  | { state: 'moved'; error: FleetError }
  | { state: 'unknown'; error: FleetError };

const short = (sha: string) => sha.slice(0, 12);

/** Where the branch stands on its remote against the commit this run checked out. */
export async function freshness(dir: string, branch: string, commit: string): Promise<Freshness> {
  const head = await remoteHead(dir, branch);
  if (!head.ok) return { state: 'unknown', error: head.error };
  if (!head.value) return { state: 'no-remote' };
  const { remote, commit: now } = head.value;
  if (now === commit) return { state: 'fresh' };
  // A checkout ahead of its remote (commits not pushed yet) runs what it has: nothing newer exists.
  if (now && (await isAncestor(simpleGit(dir), now, commit))) return { state: 'fresh' };
  const message = now
    ? `${branch} moved on: ${remote} has ${short(now)}, this run checked out ${short(commit)}`
    : `${branch} no longer exists on ${remote} (this run checked out ${short(commit)})`;
  const hint = now
    ? `the run for ${short(now)} applies the newer state; nothing is lost by this one stopping`
    : `nothing runs for a deleted stage branch; push ${branch} again to run it`;
  return { state: 'moved', error: fleetError('git.branch-moved', message, { hint, context: { remote, branch } }) };
}

/** For `--mode run`: a moved branch, or one whose remote cannot say, stops the writes. */
export async function stopWhenStale(dir: string, branch: string, commit: string): Promise<WriteStop | undefined> {
  const f = await freshness(dir, branch, commit);
  if (f.state === 'moved')
    return {
      error: { ...f.error, message: `${f.error.message}: nothing was written` },
      exitCode: ExitCode.branchMoved,
    };
  if (f.state !== 'unknown') return undefined;
  // Fail closed: an older commit may be about to overwrite a newer one's state, and nobody could tell.
  const error: FleetError = {
    ...f.error,
    code: 'git.branch-unchecked',
    message: `${f.error.message}; whether ${branch} moved on is unknown, so nothing was written`,
    hint: "check the network and the remote's credentials (actions/checkout keeps them for the job unless persist-credentials: false), then run again",
  };
  return { error, exitCode: ExitCode.branchUnchecked };
}
