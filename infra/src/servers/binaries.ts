import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const INSTALL_HINT = 'apt-get install redis-server nats-server postgresql';

export class MissingBinaryError extends Error {
  constructor(binary: string) {
    super(`${binary} not found on PATH (or /usr/lib/postgresql/*/bin); install it with: ${INSTALL_HINT}`);
    this.name = 'MissingBinaryError';
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds a server binary on PATH, in sbin folders, or in Debian's versioned PostgreSQL folders. */
export function findBinary(name: string): string {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/usr/local/sbin', '/sbin']);
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const v of versions) dirs.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    // no Debian PostgreSQL layout on this machine
  }
  for (const dir of dirs) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  throw new MissingBinaryError(name);
}
