import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/**
 * Lua scripts live one per file in `src/adapters/redis/scripts`, named `verb-noun-<numKeys>.lua`.
 * tsc does not copy them, so they are read from the package root (found by walking up to
 * package.json), which works from `src` under vitest and from `dist` in production. A line
 * `--- @include "name"` pastes `scripts/includes/name.lua` (helpers shared by several scripts).
 */
const SCRIPTS = {
  holdStock: 'hold-stock-9',
  prepareHold: 'prepare-hold-5',
  confirmHold: 'confirm-hold-8',
  releaseHold: 'release-hold-5',
  reapExpired: 'reap-expired-4',
  rebuildStock: 'rebuild-stock-7',
  applySnapshot: 'apply-snapshot-6',
} as const;

export type ScriptName = keyof typeof SCRIPTS;
type Arg = string | number;
export type ScriptRunner = Record<ScriptName, (keys: string[], args: Arg[]) => Promise<unknown>>;

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the redis adapter');
    dir = up;
  }
  return dir;
}

const scriptsDir = join(packageRoot(), 'src', 'adapters', 'redis', 'scripts');

export function loadScript(file: string): string {
  const source = readFileSync(join(scriptsDir, `${file}.lua`), 'utf8');
  return source.replace(/^--- @include "([a-z0-9-]+)"$/gm, (_, name: string) =>
    readFileSync(join(scriptsDir, 'includes', `${name}.lua`), 'utf8'),
  );
}

const numKeys = (file: string) => Number(file.slice(file.lastIndexOf('-') + 1));

/** Registers every script with `defineCommand` (EVALSHA with EVAL fallback) and returns typed callers. */
export function registerScripts(redis: Redis): ScriptRunner {
  const runner = {} as ScriptRunner;
  for (const [name, file] of Object.entries(SCRIPTS) as [ScriptName, string][]) {
    const command = `inv_${name}`;
    const keyCount = numKeys(file);
    if (!(command in redis)) redis.defineCommand(command, { numberOfKeys: keyCount, lua: loadScript(file) });
    runner[name] = (keys, args) => {
      if (keys.length !== keyCount) throw new Error(`${file} takes ${keyCount} keys, got ${keys.length}`);
      return (redis as unknown as Record<string, (...a: Arg[]) => Promise<unknown>>)[command]!(...keys, ...args);
    };
  }
  return runner;
}
