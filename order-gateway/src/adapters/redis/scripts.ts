import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/** The package root (nearest package.json), so scripts load the same from src (vitest) and dist. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('order-gateway: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

const SCRIPTS = {
  gwBeginOrder: { file: 'begin-order-2.lua', keys: 2 },
  gwFinishOrder: { file: 'finish-order-3.lua', keys: 3 },
  gwTransitionOrder: { file: 'transition-order-2.lua', keys: 2 },
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** A Redis client with the gateway's Lua scripts registered (EVALSHA with automatic EVAL fallback). */
export type ScriptedRedis = Redis & {
  [K in ScriptName]: (...keysThenArgs: (string | number)[]) => Promise<unknown>;
};

export function registerScripts(redis: Redis): ScriptedRedis {
  const dir = join(packageRoot(), 'src', 'adapters', 'redis', 'scripts');
  for (const [name, s] of Object.entries(SCRIPTS)) {
    if (typeof (redis as any)[name] === 'function') continue;
    redis.defineCommand(name, { numberOfKeys: s.keys, lua: readFileSync(join(dir, s.file), 'utf8') });
  }
  return redis as ScriptedRedis;
}
