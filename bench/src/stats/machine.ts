import { cpus, freemem, hostname, loadavg, release, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';

export interface MachineInfo {
  hostname: string;
  kernel: string;
  cpuModel: string;
  cores: number;
  memoryMb: number;
  freeMemoryMbAtStart: number;
  loadAverageAtStart: number[];
  node: string;
  openFileLimit: number | null;
}

export function machineInfo(): MachineInfo {
  let openFileLimit: number | null = null;
  try {
    openFileLimit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    // not a POSIX shell: leave it unknown
  }
  return {
    hostname: hostname(),
    kernel: release(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    freeMemoryMbAtStart: Math.round(freemem() / 1024 / 1024),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    openFileLimit,
  };
}
