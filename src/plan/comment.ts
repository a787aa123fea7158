/**
 * The plan as a pull request comment (and job summary): whose plan it is, what the inventory edit
 * does to the stages, the hosts that would fail, then the devices that change. Every list is
 * folded past FOLD_AT rows with the rest counted, and the whole stays under GitHub's comment size
 * limit. Pure; secrets are masked in the result.
 */
import { maskSecrets } from '../log/index.js';
import type { Plan } from './model.js';
import { cell, FOLD_AT, fmt, moreLine, renderMarkdown } from './render.js';
import type { InventoryChanges, InventoryDevice } from './stages.js';

/** The hidden line that finds the comment again on the next push. */
export const PLAN_MARKER = '<!-- fleetplay-plan -->';

/** GitHub refuses a longer comment body (characters). */
export const MAX_COMMENT_CHARS = 65536;

export interface FailedHost {
  host: string;
  /** Ansible's word: a device the OTA server does not know, or cannot reach, is unreachable. */
  status: 'failed' | 'unreachable';
  task: string;
  /** `file:line` of the task, when known. */
  where?: string;
  message: string;
}

export interface CommentInput {
  plan: Plan;
  changes: InventoryChanges;
  failures: FailedHost[];
  /** The stage branch the pull request merges into. */
  branch: string;
  pullRequest?: number;
  /** Set when live device state was not read: why (a fork, no OTA token). */
  repositoryOnly?: string;
  /** Short commit the merged tree was planned at. */
  commit?: string;
}

export function renderComment(c: CommentInput, limit = MAX_COMMENT_CHARS): string {
  const pr = c.pullRequest ? ` — pull request #${c.pullRequest}` : '';
  const at = c.commit ? ` at \`${c.commit.slice(0, 12)}\`` : '';
  const out = [PLAN_MARKER, `## fleetplay plan for \`${c.branch}\`${pr}${at}`, '', ...source(c), ''];
  out.push(...stageSection(c.changes), ...failureSection(c.failures));
  out.push(renderMarkdown(withFailures(c.plan, c.failures), '### Devices that change').trimEnd(), '');
  return fitComment(maskSecrets(out.join('\n')), limit);
}

function source(c: CommentInput): string[] {
  if (c.repositoryOnly)
    return [
      `> [!NOTE]`,
      `> **Live device state was not consulted.** ${c.repositoryOnly} This plan is computed from the repository alone: ` +
        `the images and configuration keys the merged tree asks for, compared with \`${c.branch}\`, and the stage moves. ` +
        'What each device runs now, and whether it is online, was not read.',
    ];
  return [
    `What a run of \`${c.branch}\` would do after the merge: a dry run of the merged tree against the OTA server ` +
      '(nothing was written).',
  ];
}

/** Rows past FOLD_AT are counted, not shown. */
function folded<T>(rows: T[], line: (r: T) => string): string[] {
  const shown = rows.slice(0, FOLD_AT).map(line);
  return rows.length > FOLD_AT ? [...shown, '', `_${moreLine(rows.length - FOLD_AT)}_`] : shown;
}

const name = (d: { host: string; device_id: string }): string =>
  `| ${cell(d.host)} | ${d.host === d.device_id ? '' : `\`${cell(d.device_id)}\``} |`;

function stageSection(ch: InventoryChanges): string[] {
  const out: string[] = [];
  if (ch.moved.length)
    out.push(
      `### Stage moves (${fmt(ch.moved.length)}, the inventory was edited)`,
      '',
      '| Device | Id | From | To |',
      '| --- | --- | --- | --- |',
      ...folded(ch.moved, (m) => `${name(m)} ${cell(m.from)} | ${cell(m.to)} |`),
      '',
    );
  const list = (title: string, ds: InventoryDevice[]) =>
    ds.length
      ? [
          `### ${title} (${fmt(ds.length)})`,
          '',
          '| Device | Id | Stage |',
          '| --- | --- | --- |',
          ...folded(ds, (d) => `${name(d)} ${cell(d.stage)} |`),
          '',
        ]
      : [];
  out.push(...list('Added to the inventory', ch.added), ...list('Removed from the inventory', ch.removed));
  return out.length ? out : ['No device changes stage, and none is added to or removed from the inventory.', ''];
}

function failureSection(fs: FailedHost[]): string[] {
  if (!fs.length) return [];
  return [
    `### Hosts that would fail (${fmt(fs.length)})`,
    '',
    '| Host | Task | Message |',
    '| --- | --- | --- |',
    ...folded(
      fs,
      (f) => `| ${cell(f.host)} | ${cell(f.task)}${f.where ? ` (${cell(f.where)})` : ''} | ${cell(f.message)} |`,
    ),
    '',
  ];
}

/**
 * A host that failed before any module decided for it counts as failing, not unchanged: the plan
 * has no decision kind to fail when no host reached a deciding task (buildPlan fails only the kinds
 * the run decided about).
 */
function withFailures(plan: Plan, failures: FailedHost[]): Plan {
  const why = new Map(failures.map((f) => [f.host, f.message]));
  const devices = plan.devices.map((d) => {
    const w = why.get(d.host);
    return w !== undefined && d.os.action === 'none' && d.config.action === 'none'
      ? { ...d, os: { action: 'fail' as const, why: w } }
      : d;
  });
  return { ...plan, devices };
}

/**
 * Whole lines are dropped from the end until the body and a closing line counting what was cut fit
 * within `limit` characters (UTF-16 units, as GitHub counts them).
 */
export function fitComment(body: string, limit = MAX_COMMENT_CHARS): string {
  if (body.length <= limit) return body;
  const lines = body.split('\n');
  let kept = lines.length;
  let size = body.length;
  const tail = (n: number) =>
    `\n\n_… ${fmt(n)} more line${n === 1 ? '' : 's'} cut: GitHub takes at most ${fmt(limit)} characters per comment._\n`;
  while (kept > 1 && size + tail(lines.length - kept).length > limit) {
    kept--;
    size -= lines[kept].length + 1;
  }
  return `${lines.slice(0, kept).join('\n')}${tail(lines.length - kept)}`;
}
