import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { ProcessWatcher, readProc } from './process-usage.js';
import { readTcpCounters } from './tcp-counters.js';

it('reads RSS and CPU time of a live process from /proc, and nothing for a gone one', () => {
  const me = readProc(process.pid);
  expect(me?.rssBytes).toBeGreaterThan(1024 * 1024);
  expect(me?.cpuTicks).toBeGreaterThan(0);
  expect(readProc(2 ** 22 + 12345)).toBeNull();
});

it('follows the children of a watched process (a cluster primary and its workers)', async () => {
  // A parent that forks one busy child: the watcher is told only the parent's pid.
  const parent = spawn(
    process.execPath,
    [
      '-e',
      "require('child_process').spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], {stdio:'ignore'}); setInterval(()=>{},1000)",
    ],
    { stdio: 'ignore' },
  );
  try {
    await new Promise((r) => setTimeout(r, 500));
    const watcher = new ProcessWatcher([{ pid: parent.pid ?? -1, name: 'svc' }]);
    const samples = watcher.sample();
    expect(samples.map((s) => s.name)).toContain('svc');
    expect(samples.some((s) => s.name.startsWith('svc/worker '))).toBe(true);
  } finally {
    // Killing the process group is not ours to do; kill the child first via the watcher's view, then the parent.
    for (const s of new ProcessWatcher([{ pid: parent.pid ?? -1, name: 'svc' }]).sample()) if (s.pid !== parent.pid) process.kill(s.pid);
    parent.kill();
  }
});

it('reads the kernel TCP counters', () => {
  const c = readTcpCounters();
  expect(c).not.toBeNull();
  expect(c?.listenOverflows).toBeGreaterThanOrEqual(0);
});
