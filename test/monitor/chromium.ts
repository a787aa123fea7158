/**
 * The HTML report as a person's browser sees it: headless Chromium (Debian's `chromium`, installed
 * here when missing) loads a copy of the page with a probe script appended, the probe writes what
 * it reads of the laid-out page (JSON) into the DOM, and Chromium dumps the DOM.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's package, as .ci/run installs it; apt is reachable from CI and this sandbox. */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0 || !existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing and "apt-get install -y chromium" failed (status ${r.status}): run it as root`,
    );
}

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Runs `probe` (a script body ending in an expression statement `result = …`) on `file` laid out
 * in a window of `width` px; returns `result`.
 */
export function probePage<T>(file: string, probe: string, width = 1280): T {
  const probed = file.replace(/\.html$/, '.probe.html');
  const script = `<script>let result;\n${probe}\nconst out = document.createElement('pre'); out.id = 'probe';\nout.textContent = JSON.stringify(result);\ndocument.body.appendChild(out);</script>`;
  writeFileSync(probed, readFileSync(file, 'utf8').replace('</body>', `${script}</body>`));
  const dom = execFileSync(
    CHROMIUM,
    [
      ...FLAGS,
      `--user-data-dir=${mkdtempSync(join(tmpdir(), 'fleetplay-chromium-'))}`,
      `--window-size=${width},1600`,
      '--dump-dom',
      `file://${probed}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  const m = /<pre id="probe">([\s\S]*?)<\/pre>/.exec(dom);
  if (!m) throw new Error(`Chromium did not run the probe; DOM starts: ${dom.slice(0, 200)}`);
  return JSON.parse(
    m[1]
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&'),
  ) as T;
}
