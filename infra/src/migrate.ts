/** `pnpm migrate`: applies every service's migrations to DATABASE_URL (each in its own schema). */
import { runMigrations } from './stack.js';

runMigrations(process.env, (l) => process.stdout.write(`[flashgate] ${l}\n`)).catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
