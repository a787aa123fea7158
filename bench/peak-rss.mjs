// Peak RSS of a child process: the kernel's high-water mark (VmHWM), polled while it runs.
import { readFileSync } from 'node:fs';

/** Starts polling `pid`; the returned function stops and gives the peak in bytes. */
export function watchPeakRss(pid, everyMs = 50) {
  let hwm = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) hwm = Math.max(hwm, Number(m[1]) * 1024);
    } catch {
      // the process has ended between two samples
    }
  }, everyMs);
  return () => {
    clearInterval(poll);
    return hwm;
  };
}
