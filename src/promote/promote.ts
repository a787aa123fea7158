/**
 * `fleetplay promote --from main --to canary`: opens the promotion pull request of a stage into the
 * stage just above it, with the plan of the target stage after the merge in its body — or says why
 * it will not: a skip-stage promotion, nothing to promote, a promotion pull request already open,
 * a source stage that is not green (its status and link).
 */
import { join, relative, resolve } from 'node:path';
import { ExitCode, fleetError, type FleetError } from '../errors/index.js';
import { isAncestor } from '../git/trees.js';
import { simpleGit } from 'simple-git';
import { fetchBranches } from '../git/branches.js';
import { statusContext } from '../github/index.js';
import { createPull, findOpenPull } from '../github/pulls.js';
import { renderComment } from '../plan/comment.js';
import { baseTree, fromRepository, fromServer, loadBoth, removeTree } from '../plan/preview.js';
import { inventoryChanges } from '../plan/stages.js';
import type { StageList } from '../stage/index.js';
import { checkGreen } from './guard.js';
import { promotionContext, refuse, short, type PromotionContext, type PromotionOptions } from './context.js';

export interface PromoteOptions extends PromotionOptions {
  from?: string;
  to?: string;
  /** The playbook and inventory of the plan, relative to the repository (the defaults of `run`). */
  playbook: string;
  inventory: string[];
  /** `--server` for the plan's dry run. */
  server?: string;
  extraVars?: Record<string, unknown>;
}

/** Exit codes: 0 opened (or already open, or nothing to promote), 7 refused (skip-stage, source not green), 1 anything else. */
export async function promote(o: PromoteOptions): Promise<number> {
  const c = await promotionContext(o, (stages) => {
    const p = promotionPair(stages, o.from, o.to);
    if (p.ok) return undefined;
    return { error: p.error, code: p.error.code === 'promote.skip-stage' ? ExitCode.promotionRefused : ExitCode.usage };
  });
  const out = { stdout: o.stdout ?? process.stdout, env: o.env ?? process.env };
  if (!c.ok) return refuse(out, c.error.error, c.error.code);
  const ctx = c.value;
  // Judged in the precheck: the pair is valid here.
  const pair = promotionPair(ctx.stages, o.from, o.to);
  if (!pair.ok) return refuse(ctx, pair.error, ExitCode.usage);
  const { from, to } = pair.value;
  const fetched = await fetchBranches(ctx.cwd, [from, to]);
  if (!fetched.ok) return refuse(ctx, fetched.error, ExitCode.usage);
  const source = fetched.value.heads[from];
  const target = fetched.value.heads[to];
  if (await isAncestor(simpleGit(ctx.cwd), source, target)) {
    ctx.stdout.write(`nothing to promote: ${to} already contains ${from} at ${short(source)}\n`);
    return ExitCode.ok;
  }
  const open = await findOpenPull({ ...ctx.github, head: from, base: to });
  if (!open.ok) return refuse(ctx, open.error, ExitCode.usage);
  if (open.value) {
    ctx.stdout.write(`a promotion pull request ${from} → ${to} is already open: ${open.value.url}\n`);
    return ExitCode.ok;
  }
  // The same check as the promotion gate's (guard.ts), so promote refuses what the gate would refuse.
  const green = await checkGreen({ ...ctx.github, source: from, sha: source });
  if (!green.ok) return refuse(ctx, green.error, ExitCode.usage);
  if (green.value) return refuse(ctx, green.value, ExitCode.promotionRefused);
  const body = await pullBody(ctx, o, { from, to, source, target });
  const pr = await createPull({
    ...ctx.github,
    head: from,
    base: to,
    title: `Promote ${from} → ${to} (${short(source)})`,
    body,
  });
  if (!pr.ok) return refuse(ctx, pr.error, ExitCode.usage);
  ctx.stdout.write(`opened the promotion pull request ${from} → ${to}: ${pr.value.url}\n`);
  return ExitCode.ok;
}

/** `--from`/`--to` against the stage list: a stage takes promotions only from the stage just below it. */
export function promotionPair(
  stages: StageList,
  from: string | undefined,
  to: string | undefined,
): { ok: true; value: { from: string; to: string } } | { ok: false; error: FleetError } {
  const where = `the stages are ${stages.toString()} (${stages.source})`;
  for (const s of [from, to])
    if (s !== undefined && !stages.has(s))
      return { ok: false, error: fleetError('promote.not-a-stage', `${s} is not a stage: ${where}`) };
  const f = from ?? (to !== undefined ? stages.below(to) : undefined);
  const t = to ?? (f !== undefined ? stages.above(f) : undefined);
  if (f === undefined || t === undefined)
    return {
      ok: false,
      error: fleetError(
        'promote.no-stage',
        from === undefined && to === undefined
          ? 'which promotion? pass --from STAGE'
          : `${from ?? to} has no stage ${from !== undefined ? 'above' : 'below'} it: ${where}`,
        { hint: `e.g. fleetplay promote --from ${stages.names[0]}` },
      ),
    };
  if (stages.below(t) !== f)
    return {
      ok: false,
      error: fleetError(
        'promote.skip-stage',
        `refused: ${t} takes promotions only from ${stages.below(t) ?? 'no stage'}, not from ${f}`,
        {
          hint: `promote one stage at a time (${where}): fleetplay promote --from ${stages.below(t) ?? f}`,
        },
      ),
    };
  return { ok: true, value: { from: f, to: t } };
}

interface Promotion {
  from: string;
  to: string;
  source: string;
  target: string;
}

/** What the pull request says: what is promoted, that it was verified, and the target's plan after the merge. */
async function pullBody(ctx: PromotionContext, o: PromoteOptions, p: Promotion): Promise<string> {
  const head = [
    `Promotes \`${p.from}\` at \`${short(p.source)}\` to \`${p.to}\`, unmodified: ${statusContext(p.from)} is **success** on that commit.`,
    `Opened by \`fleetplay promote\`; merging it updates the devices that follow \`${p.to}\`.`,
    '',
  ];
  return [...head, await targetPlan(ctx, o, p)].join('\n');
}

/**
 * The plan of the target stage with the source's tree (the tree a promotion lands, unmodified): a dry
 * run against the OTA server when this command has its token, else the repository's plan alone.
 */
async function targetPlan(ctx: PromotionContext, o: PromoteOptions, p: Promotion): Promise<string> {
  const src = await baseTree(ctx.cwd, p.source);
  if (!src.ok) return `_No plan: ${src.error.message}_\n`;
  const tgt = await baseTree(ctx.cwd, p.target);
  if (!tgt.ok) {
    await removeTree(ctx.cwd, src.value);
    return `_No plan: ${tgt.error.message}_\n`;
  }
  try {
    const inTree = (tree: string, path: string) => join(tree, relative(ctx.cwd, resolve(ctx.cwd, path)));
    const run = (tree: string) => ({
      cwd: tree,
      env: ctx.env,
      branch: p.to,
      server: o.server,
      extraVars: o.extraVars,
      playbook: inTree(tree, o.playbook),
      inventory: o.inventory.map((i) => inTree(tree, i)),
    });
    const inventories = loadBoth(run(src.value).inventory, run(tgt.value).inventory);
    if (!inventories.ok) return `_No plan: ${inventories.error.map((e) => e.message).join('; ')}_\n`;
    const reason = ctx.env.MENDER_ACCESS_TOKEN?.trim()
      ? undefined
      : 'No OTA server is configured for `fleetplay promote` (MENDER_ACCESS_TOKEN is not set).';
    const planned = reason ? await fromRepository(run(src.value), run(tgt.value)) : await fromServer(run(src.value));
    return renderComment({
      ...planned,
      changes: inventoryChanges(inventories.value.base, inventories.value.head),
      branch: p.to,
      repositoryOnly: reason,
      commit: p.source,
    });
  } finally {
    await removeTree(ctx.cwd, src.value);
    await removeTree(ctx.cwd, tgt.value);
  }
}
