import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

export type ScriptRunner = (keys: string[], args: Array<string | number>) => Promise<unknown>;

/** The package root (nearest package.json), so scripts load the same from src (vitest) and dist. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('waiting-room package root not found');
    dir = up;
  }
  return dir;
}

const SCRIPTS_DIR = join(packageRoot(), 'src', 'adapters', 'redis', 'scripts');

/**
 * Registers `<verb-noun-N>.lua` with ioredis defineCommand (EVALSHA with EVAL fallback); the key
 * count comes from the file name.
 */
export function defineScript(redis: Redis, file: string): ScriptRunner {
  const m = /^([a-z-]+)-(\d+)\.lua$/.exec(file);
  if (!m) throw new Error(`script file name must be verb-noun-<numKeys>.lua: ${file}`);
  const numberOfKeys = Number(m[2]);
  const name = `wr_${(m[1] as string).replace(/-/g, '_')}`;
  if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua: readFileSync(join(SCRIPTS_DIR, file), 'utf8') });
  const command = (redis as unknown as Record<string, (...a: Array<string | number>) => Promise<unknown>>)[name] as (
    ...a: Array<string | number>
  ) => Promise<unknown>;
  return (keys, args) => {
    if (keys.length !== numberOfKeys) throw new Error(`${file} takes ${numberOfKeys} keys, got ${keys.length}`);
    return command.call(redis, ...keys, ...args);
  };
}
