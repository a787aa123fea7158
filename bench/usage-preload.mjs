// (helper, not a bench) Loaded with `node --import` into a measured process: at exit, appends its
// CPU time (all threads), peak RSS and main-thread CPU as one JSON line to $FLEETPLAY_USAGE_LOG.
import { appendFileSync, readFileSync } from 'node:fs';

const log = process.env.FLEETPLAY_USAGE_LOG;
if (log) {
  process.on('exit', (code) => {
    const u = process.resourceUsage();
    // utime + stime of the main thread, in clock ticks (100 a second on Linux).
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    appendFileSync(
      log,
      JSON.stringify({
        code,
        cpuS: +((u.userCPUTime + u.systemCPUTime) / 1e6).toFixed(2),
        mainCpuS: (+f[11] + +f[12]) / 100,
        peakRssMb: Math.round(u.maxRSS / 1024),
      }) + '\n',
    );
  });
}
