import { readdirSync, readFileSync } from 'node:fs';
import { clockTicks } from './clock-ticks.js';

/**
 * Server RSS and CPU per process, read from /proc (Linux): RSS from /proc/<pid>/status (VmRSS),
 * CPU from utime+stime in /proc/<pid>/stat, turned into a percentage of one core between samples.
 */
export interface ProcessSample {
  pid: number;
  name: string;
  rssBytes: number;
  /** Percent of one core since the previous sample (100 = one full core). */
  cpuPercent: number;
}

export class ProcessWatcher {
  private readonly last = new Map<number, { cpuTicks: number; at: number }>();
  readonly peaks = new Map<
    number,
    { name: string; rssPeakBytes: number; cpuPeakPercent: number; cpuSumPercent: number; samples: number }
  >();

  private readonly procs: Array<{ pid: number; name: string }>;

  constructor(roots: Array<{ pid: number; name: string }>) {
    this.procs = [...roots];
  }

  /** Watches one more process from now on (the bench's own load workers). */
  add(pid: number, name: string): void {
    if (!this.procs.some((p) => p.pid === pid)) this.procs.push({ pid, name });
  }

  /**
   * A service may be a tree (waiting-room's cluster primary forks its workers): every descendant of
   * a watched process is watched too, named after its root.
   */
  private adoptChildren(): void {
    const parentOf = new Map<number, number>();
    let entries: string[];
    try {
      entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
    } catch {
      return;
    }
    for (const e of entries) {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        parentOf.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // exited meanwhile
      }
    }
    const known = new Map(this.procs.map((p) => [p.pid, p.name]));
    let added = true;
    while (added) {
      added = false;
      for (const [pid, ppid] of parentOf) {
        const parentName = known.get(ppid);
        if (parentName === undefined || known.has(pid)) continue;
        const name = `${parentName.split('/')[0]}/worker ${pid}`;
        known.set(pid, name);
        this.procs.push({ pid, name });
        added = true;
      }
    }
  }

  sample(): ProcessSample[] {
    this.adoptChildren();
    const out: ProcessSample[] = [];
    const now = performance.now();
    for (const { pid, name } of this.procs) {
      const read = readProc(pid);
      if (!read) continue;
      const prev = this.last.get(pid);
      this.last.set(pid, { cpuTicks: read.cpuTicks, at: now });
      const cpuPercent = prev
        ? Math.round((((read.cpuTicks - prev.cpuTicks) / clockTicks()) * 1000 * 100 * 10) / Math.max(1, now - prev.at)) / 10
        : 0;
      out.push({ pid, name, rssBytes: read.rssBytes, cpuPercent });
      const p = this.peaks.get(pid) ?? { name, rssPeakBytes: 0, cpuPeakPercent: 0, cpuSumPercent: 0, samples: 0 };
      p.rssPeakBytes = Math.max(p.rssPeakBytes, read.rssBytes);
      if (prev) {
        p.cpuPeakPercent = Math.max(p.cpuPeakPercent, cpuPercent);
        p.cpuSumPercent += cpuPercent;
        p.samples++;
      }
      this.peaks.set(pid, p);
    }
    return out;
  }

  summary(): Array<{ pid: number; name: string; rssPeakMb: number; cpuPeakPercent: number; cpuMeanPercent: number }> {
    return [...this.peaks.entries()].map(([pid, p]) => ({
      pid,
      name: p.name,
      rssPeakMb: Math.round(p.rssPeakBytes / 1024 / 102.4) / 10,
      cpuPeakPercent: p.cpuPeakPercent,
      cpuMeanPercent: p.samples ? Math.round((p.cpuSumPercent / p.samples) * 10) / 10 : 0,
    }));
  }
}

export function readProc(pid: number): { rssBytes: number; cpuTicks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: split after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return { rssBytes: m ? Number(m[1]) * 1024 : 0, cpuTicks };
  } catch {
    return null;
  }
}
