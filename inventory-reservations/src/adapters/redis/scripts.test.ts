import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScript } from './scripts.js';

const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'scripts');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.lua'))
  .map((f) => f.slice(0, -4));

describe('Lua scripts', () => {
  it.each(files)('%s documents exactly the KEYS its name declares, its ARGV and its return value', (file) => {
    const source = loadScript(file);
    const declared = Number(file.slice(file.lastIndexOf('-') + 1));
    const header = source.slice(0, source.indexOf(']]'));
    const documented = new Set([...header.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])));
    expect([...documented].sort((a, b) => a - b)).toEqual(Array.from({ length: declared }, (_, i) => i + 1));
    const used = [...source.slice(header.length).matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
    expect(Math.max(...used)).toBeLessThanOrEqual(declared);
    expect(header).toMatch(/ARGV\[1\]/);
    expect(header).toMatch(/Returns/);
    expect(source).not.toMatch(/--- @include/); // every include resolved
  });
});
