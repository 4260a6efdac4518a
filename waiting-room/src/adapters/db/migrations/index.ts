import type { Migration } from '@flashgate/shared/db';
import * as m0001 from './0001-initial.js';

/** Frozen in time: never edit an applied migration, add a new file and list it here. */
export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
};
