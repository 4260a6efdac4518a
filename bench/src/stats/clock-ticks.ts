import { execFileSync } from 'node:child_process';

let ticks: number | undefined;

/** USER_HZ, the unit of /proc/<pid>/stat CPU times (100 on practically every Linux). */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}
