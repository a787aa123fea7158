/**
 * The demo's hotfix chapter: a fix committed straight on canary blocks the next main → canary
 * promotion (the guard's unmodified check) until it is cherry-picked onto main, main turns green
 * again, and the promotion is retried.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import type { Device } from './fleet.js';
import type { FleetRepo, StageBranch } from './repo.js';
import { expectChanged, promote, type Cast } from './story.js';

/** Sets `kiosk_url` in a device's host_vars on a branch and commits it; the new commit. */
async function setKioskUrl(repo: FleetRepo, branch: StageBranch, d: Device, url: string, message: string) {
  const git = simpleGit(repo.dir);
  await git.checkout(branch);
  const path = join('inventory', 'host_vars', `${d.name}.yml`);
  const text = readFileSync(join(repo.dir, path), 'utf8');
  const line = `kiosk_url: ${url}`;
  writeFileSync(
    join(repo.dir, path),
    /^kiosk_url:.*$/m.test(text) ? text.replace(/^kiosk_url:.*$/m, line) : `${text}${line}\n`,
  );
  await git.add(path).commit(message);
  return repo.head(branch);
}

async function cherryPick(repo: FleetRepo, branch: StageBranch, commit: string): Promise<string> {
  const git = simpleGit(repo.dir);
  await git.checkout(branch);
  await git.raw(['cherry-pick', commit]);
  return repo.head(branch);
}

/** The device the inventory puts on a stage (not a prototype, whose own report decides). */
const onStage = (c: Cast, branch: string) => c.p.devices.find((d) => d.branch === branch && !d.prototype);

/** A push to a stage: the main job, the devices it should change, the monitor. */
async function push(c: Cast, key: string, branch: StageBranch, expected: Device[]): Promise<void> {
  expectChanged(c, key, await c.p.run(branch), expected);
  const w = await c.p.watch(branch);
  if (w.verdict !== 'green') c.facts.surprises.push(`${key}: expected ${branch} green, got ${w.verdict}`);
}

export async function chapterHotfix(c: Cast): Promise<void> {
  c.n.chapter('A hotfix made straight on canary has to go back to main first');
  const kiosk = onStage(c, 'canary');
  const next = onStage(c, 'main');
  if (!kiosk || !next) {
    c.facts.surprises.push('hotfix: the inventory has no kiosk on canary or main');
    return;
  }
  const fix = await setKioskUrl(
    c.repo,
    'canary',
    kiosk,
    'https://kiosk.example.org/campus-v2',
    'Hotfix: the campus kiosk page moved',
  );
  c.n.say(`commit ${fix.slice(0, 7)} straight on canary: ${kiosk.mark} ${kiosk.name} gets its new kiosk page at once`);
  await push(c, '7:canary', 'canary', [kiosk]);
  const feature = await setKioskUrl(
    c.repo,
    'main',
    next,
    'https://kiosk.example.org/next-v2',
    'New kiosk page for the qualification kiosk',
  );
  c.n.say(`meanwhile main moves on (${feature.slice(0, 7)}) and is verified`);
  await push(c, '7:main', 'main', [next]);
  c.facts.hotfix = { commit: fix, passedAfterCherryPick: false };
  if (await promote(c, 'main', 'canary')) {
    c.facts.surprises.push('the guard let main → canary through with the hotfix missing from main');
    return;
  }
  c.facts.hotfix.refusal = (await c.p.gate('main', 'canary')).why;
  const picked = await cherryPick(c.repo, 'main', fix);
  c.n.say(
    `the team cherry-picks ${fix.slice(0, 7)} onto main (${picked.slice(0, 7)}); main runs it and is verified again`,
  );
  await push(c, '7:main-cherry-pick', 'main', []);
  c.facts.hotfix.passedAfterCherryPick = await promote(c, 'main', 'canary');
  if (!c.facts.hotfix.passedAfterCherryPick) c.facts.surprises.push('main → canary refused after the cherry-pick');
  expectChanged(c, '7:canary-promoted', await c.p.run('canary'), []);
}
