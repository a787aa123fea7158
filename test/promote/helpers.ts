/**
 * A fleet repository as GitHub holds it (a bare remote with main, canary and production), a
 * team's clone to commit, merge and push from, and fresh clones as the guard's workflow checks
 * them out (every branch, full history).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Fleet Team',
  GIT_AUTHOR_EMAIL: 'team@example.org',
  GIT_COMMITTER_NAME: 'Fleet Team',
  GIT_COMMITTER_EMAIL: 'team@example.org',
};

export const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...IDENTITY } }).trim();

export class Remote {
  private readonly dirs: string[] = [];
  readonly bare: string;
  /** The team's clone. */
  readonly team: string;

  constructor(files: Record<string, string> = {}) {
    this.bare = this.temp('fleetplay-remote-');
    git(this.bare, 'init', '-q', '--bare', '-b', 'main');
    this.team = this.temp('fleetplay-team-');
    git(this.team, 'init', '-q', '-b', 'main');
    git(this.team, 'remote', 'add', 'origin', this.bare);
    this.write({ 'inventory/hosts.yml': 'all:\n  hosts: {}\n', ...files });
    git(this.team, 'add', '.');
    git(this.team, 'commit', '-q', '-m', 'The fleet');
    git(this.team, 'push', '-q', 'origin', 'main');
    for (const b of ['canary', 'production']) git(this.team, 'push', '-q', 'origin', `main:${b}`);
  }

  private temp(prefix: string): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }

  private write(files: Record<string, string>): void {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(this.team, path)), { recursive: true });
      writeFileSync(join(this.team, path), text);
    }
  }

  /** Commits files on a branch and pushes it; the new commit. */
  commit(branch: string, files: Record<string, string>, message: string): string {
    this.switch(branch);
    this.write(files);
    git(this.team, 'add', '.');
    git(this.team, 'commit', '-q', '-m', message);
    git(this.team, 'push', '-q', 'origin', branch);
    return this.head(branch);
  }

  /** Merges `from` into `to` with a merge commit and pushes it, as merging the pull request does. */
  merge(from: string, to: string): string {
    this.switch(to);
    git(this.team, 'merge', '-q', '--no-ff', '-m', `Promote ${from} to ${to}`, `origin/${from}`);
    git(this.team, 'push', '-q', 'origin', to);
    return this.head(to);
  }

  /** Cherry-picks commits onto a branch and pushes it. */
  cherryPick(branch: string, commits: string[]): string {
    this.switch(branch);
    git(this.team, 'cherry-pick', ...commits);
    git(this.team, 'push', '-q', 'origin', branch);
    return this.head(branch);
  }

  switch(branch: string): void {
    git(this.team, 'fetch', '-q', 'origin');
    git(this.team, 'checkout', '-q', '-B', branch, `origin/${branch}`);
  }

  head(branch: string): string {
    return git(this.bare, 'rev-parse', branch);
  }

  /** A fresh clone with every branch and the full history, checked out at `branch` (fetch-depth: 0). */
  checkout(branch: string): string {
    const d = this.temp('fleetplay-runner-');
    git(d, 'clone', '-q', '--branch', branch, this.bare, '.');
    return d;
  }

  remove(): void {
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

export function capture(): { stream: Writable; text: () => string } {
  let text = '';
  return { stream: new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }), text: () => text };
}
