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

function scriptName(file: string): { name: string; numberOfKeys: number } {
  const m = /^([a-z-]+)-(\d+)\.lua$/.exec(file);
  if (!m) throw new Error(`script file name must be verb-noun-<numKeys>.lua: ${file}`);
  return { name: `wr_${(m[1] as string).replace(/-/g, '_')}`, numberOfKeys: Number(m[2]) };
}

/**
 * Registers `<verb-noun-N>.lua` with ioredis defineCommand (EVALSHA with EVAL fallback); the key
 * count comes from the file name.
 */
export function defineScript(redis: Redis, file: string): ScriptRunner {
  const { name, numberOfKeys } = scriptName(file);
  if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua: readFileSync(join(SCRIPTS_DIR, file), 'utf8') });
  const command = (redis as unknown as Record<string, (...a: Array<string | number>) => Promise<unknown>>)[name] as (
    ...a: Array<string | number>
  ) => Promise<unknown>;
  return (keys, args) => {
    if (keys.length !== numberOfKeys) throw new Error(`${file} takes ${numberOfKeys} keys, got ${keys.length}`);
    return command.call(redis, ...keys, ...args);
  };
}

type Pending = { keys: string[]; args: Array<string | number>; resolve: (v: unknown) => void; reject: (e: unknown) => void };

/**
 * Like defineScript, but the calls made in one event-loop turn go to Redis as one pipeline: one write and
 * one read for all of them instead of one each. For the join, which comes in storms: every hello read in
 * the same poll of the event loop joins in the same round trip (a lone call is sent as it is).
 */
export function defineBatchedScript(redis: Redis, file: string): ScriptRunner {
  const run = defineScript(redis, file);
  const { name, numberOfKeys } = scriptName(file);
  let pending: Pending[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length === 1) {
      const [one] = batch as [Pending];
      run(one.keys, one.args).then(one.resolve, one.reject);
      return;
    }
    const pipeline = redis.pipeline();
    const call = (pipeline as unknown as Record<string, (...a: Array<string | number>) => unknown>)[name] as (
      ...a: Array<string | number>
    ) => unknown;
    for (const p of batch) call.call(pipeline, ...p.keys, ...p.args);
    pipeline.exec().then(
      (results) =>
        batch.forEach((p, i) => {
          const r = results?.[i];
          if (!r) p.reject(new Error(`${file}: pipeline aborted`));
          else if (r[0]) p.reject(r[0]);
          else p.resolve(r[1]);
        }),
      (err) => {
        for (const p of batch) p.reject(err);
      },
    );
  };
  return (keys, args) => {
    if (keys.length !== numberOfKeys) return Promise.reject(new Error(`${file} takes ${numberOfKeys} keys, got ${keys.length}`));
    return new Promise((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ keys, args, resolve, reject });
    });
  };
}
