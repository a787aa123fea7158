/**
 * `fleetplay guard`: the promotion guard of workflows/promotion-gate.yml. In a pull request
 * workflow it reads the pull request from GITHUB_EVENT_PATH; locally `--base`/`--head` name the
 * branches (origin's when the clone has them). Stage order comes from the checkout's fleetplay.yml.
 * Exit codes: 0 allowed (or no promotion), 1 usage/configuration or GitHub unreadable, 7 refused.
 */
import type { Command } from 'commander';
import type { SimpleGit } from 'simple-git';
import { err, ExitCode, fleetError, formatError, ok, type FleetError, type Result } from '../errors/index.js';
import { fromActionsEnv } from '../github/env.js';
import { pullRequestFromEnv } from '../github/event.js';
import { appendStepSummary } from '../github/summary.js';
import { commitOf, repoAt } from '../git/trees.js';
import { escapeData, escapeProperty, maskSecrets, printDiagnostic, registerSecret } from '../log/index.js';
import { loadStageList } from '../stage/stages.js';
import { checkGreen, checkOrder, checkUnmodified, type Promotion } from './guard.js';

export interface GuardOptions {
  /** The checkout of the base (in the workflow) or any clone (locally); default the current directory. */
  cwd?: string;
  /** `--base`/`--head`: branch names instead of the pull request event. */
  base?: string;
  head?: string;
  /** `--repository owner/repo` for the status (default GITHUB_REPOSITORY). */
  repository?: string;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  retryDelaysMs?: number[];
}

type Names = Omit<Promotion, 'baseSha' | 'headSha'> & { baseSha?: string; headSha?: string };

const TITLE = 'promotion guard';

export async function runGuard(o: GuardOptions): Promise<number> {
  const env = o.env ?? process.env;
  const out = o.stdout ?? process.stdout;
  const cwd = o.cwd ?? process.cwd();
  const say = (line: string) => out.write(`${maskSecrets(line)}\n`);
  const fail = (e: FleetError, code: number = ExitCode.usage) => {
    say(`${code === ExitCode.usage ? 'ERROR! ' : 'REFUSED: '}${formatError(e)}`);
    if (env.GITHUB_ACTIONS === 'true') say(workflowCommand('error', e));
    return code;
  };
  const stages = loadStageList(cwd);
  if (!stages.ok) {
    for (const e of stages.error) printDiagnostic(out, e, { prefix: 'ERROR! ', env });
    return ExitCode.usage;
  }
  const names = promotionNames(o, env);
  if (!names.ok) return fail(names.error);
  const order = checkOrder(stages.value, names.value);
  if (order.kind === 'unguarded') {
    say(`nothing to guard: ${order.why}`);
    if (env.GITHUB_ACTIONS === 'true') say(`::notice title=${escapeProperty(TITLE)}::${escapeData(order.why)}`);
    return ExitCode.ok;
  }
  if (order.kind === 'refused') return done(fail(order.error, ExitCode.promotionRefused), [order.error], names.value);
  const git = repoAt(cwd);
  if (!git.ok) return fail(git.error);
  const p = await resolveCommits(git.value, names.value);
  if (!p.ok) return fail(p.error);
  const checked = await Promise.all([green(p.value, env, o), checkUnmodified(git.value, p.value)]);
  const broken = checked.find((c) => !c.ok);
  if (broken && !broken.ok) return fail(broken.error);
  const refusals = checked.flatMap((c) => (c.ok && c.value ? [c.value] : []));
  for (const r of refusals) fail(r, ExitCode.promotionRefused);
  if (refusals.length === 0)
    say(
      `promotion ${p.value.head} → ${p.value.base} allowed: ${p.value.head} at ${p.value.headSha.slice(0, 7)} is green and lands on ${p.value.base} unmodified`,
    );
  return done(refusals.length ? ExitCode.promotionRefused : ExitCode.ok, refusals, p.value);

  async function done(code: number, why: FleetError[], n: Names): Promise<number> {
    const s = await appendStepSummary(summary(n, why), env);
    if (!s.ok) say(`warning: ${formatError(s.error)}`);
    return code;
  }
}

function green(p: Promotion, env: NodeJS.ProcessEnv, o: GuardOptions) {
  const gh = fromActionsEnv(env);
  registerSecret(gh.token);
  return checkGreen({
    token: gh.token,
    baseUrl: gh.apiUrl,
    repository: p.repository,
    source: p.head,
    sha: p.headSha,
    retryDelaysMs: o.retryDelaysMs,
  });
}

/** The pull request from the event, or the branches given on the command line. */
function promotionNames(o: GuardOptions, env: NodeJS.ProcessEnv): Result<Names> {
  if (o.base === undefined && o.head === undefined) {
    const pr = pullRequestFromEnv(env);
    if (!pr.ok)
      return err({ ...pr.error, hint: 'run it in a pull_request_target workflow, or pass --base and --head' });
    const { baseRef, headRef, baseSha, headSha, repository, headRepository } = pr.value;
    return ok({ base: baseRef, head: headRef, baseSha, headSha, repository, headRepository });
  }
  if (o.base === undefined || o.head === undefined)
    return err(fleetError('guard.usage', 'pass both --base and --head (e.g. --base canary --head main)'));
  const repository = o.repository ?? fromActionsEnv(env).repository;
  if (!repository)
    return err(
      fleetError('guard.usage', 'which GitHub repository holds the statuses?', {
        hint: 'pass --repository owner/repo or set GITHUB_REPOSITORY',
      }),
    );
  return ok({ base: o.base, head: o.head, repository, headRepository: repository });
}

/** The event's commits must be in the checkout; a branch name is origin's branch when the clone has it. */
async function resolveCommits(git: SimpleGit, n: Names): Promise<Result<Promotion>> {
  const find = async (branch: string, sha: string | undefined) =>
    sha
      ? await commitOf(git, sha)
      : ((await commitOf(git, `refs/remotes/origin/${branch}`)) ?? (await commitOf(git, `refs/heads/${branch}`)));
  const baseSha = await find(n.base, n.baseSha);
  const headSha = await find(n.head, n.headSha);
  if (baseSha && headSha) return ok({ ...n, baseSha, headSha });
  const [branch, sha] = baseSha ? [n.head, n.headSha] : [n.base, n.baseSha];
  return err(
    fleetError('guard.no-commit', `the checkout does not hold ${branch}${sha ? ` at ${sha.slice(0, 7)}` : ''}`, {
      hint: 'check out with the full history of every branch (actions/checkout with fetch-depth: 0), or git fetch origin',
    }),
  );
}

function workflowCommand(kind: 'error' | 'notice', e: FleetError): string {
  const text = `${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`;
  return `::${kind} title=${escapeProperty(TITLE)}::${escapeData(maskSecrets(text))}`;
}

function summary(n: Names, refusals: FleetError[]): string {
  const head = `### Promotion ${n.head} → ${n.base}${n.headSha ? ` at \`${n.headSha.slice(0, 12)}\`` : ''}`;
  if (refusals.length === 0) return `${head}\n\nAllowed: green on ${n.head} and unmodified.\n`;
  return [head, '', 'Refused:', ...refusals.map((r) => `- ${r.message}${r.hint ? ` — ${r.hint}` : ''}`), ''].join('\n');
}

export function registerGuardCommand(program: Command): void {
  program
    .command('guard')
    .description(
      'refuse a promotion pull request unless it comes from the stage just below, that stage is green, and it lands unmodified',
    )
    .option('--base <branch>', 'the branch the promotion merges into (default: from the pull request event)')
    .option('--head <branch>', 'the branch it brings in (default: from the pull request event)')
    .option('--repository <owner/repo>', 'the GitHub repository holding the statuses (default: GITHUB_REPOSITORY)')
    .action(async (o: { base?: string; head?: string; repository?: string }) => {
      process.exitCode = await runGuard(o);
    });
}
