import { parseArgs } from 'node:util';

/**
 * Every command-line option of `pnpm bench <scenario>`, with its default and its help line. The
 * help text is generated from this table, so `--help` always lists them all.
 */
export const SCENARIOS = ['queue-storm', 'order-rush', 'gateway-abuse', 'flash-sale'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

interface OptionSpec {
  type: 'string' | 'boolean';
  help: string;
  placeholder?: string;
}

export const OPTION_SPECS = {
  shoppers: { type: 'string', placeholder: 'N', help: 'shoppers in the run (gateway-abuse: legitimate shoppers holding real tokens)' },
  'arrival-rate': { type: 'string', placeholder: 'N', help: 'shoppers arriving per second after the window opens' },
  prequeue: { type: 'string', placeholder: 'N', help: 'shoppers who join in the pre-queue burst before the window opens' },
  'prequeue-seconds': {
    type: 'string',
    placeholder: 'S',
    help: 'how long before the opening the pre-queue burst starts (default: enough to connect them)',
  },
  duration: { type: 'string', placeholder: 'S', help: 'hard limit on the load phase; the run stops by itself after it' },
  'admission-rate': { type: 'string', placeholder: 'N', help: "the promotion's configured admissions per second" },
  skus: { type: 'string', placeholder: 'N', help: 'hot SKUs in the promotion' },
  stock: { type: 'string', placeholder: 'N', help: 'units of stock per SKU' },
  'abuse-rate': { type: 'string', placeholder: 'N', help: 'gateway-abuse: hostile requests per second' },
  workers: { type: 'string', placeholder: 'N', help: 'load worker processes (default: one per 15,000 shoppers)' },
  'per-address': { type: 'string', placeholder: 'N', help: 'connections per 127.x.y.z source address (loopback targets only)' },
  'waiting-room-nodes': {
    type: 'string',
    placeholder: 'N',
    help: 'waiting-room nodes (each a cluster of WORKERS processes) to start with the local stack (default: one per 15,000 shoppers per process, and with one worker each at least one per core)',
  },
  'waiting-room-workers': {
    type: 'string',
    placeholder: 'N',
    help: 'processes per waiting-room node with the local stack (its WORKERS; default $WAITING_ROOM_WORKERS, $WORKERS or 1: separate nodes keep separate listen queues)',
  },
  targets: {
    type: 'string',
    placeholder: 'URL,URL…',
    help: 'a running system instead of the local stack: waiting-room and order-gateway base URLs, optionally prefixed waiting-room= / order-gateway= (otherwise each is probed)',
  },
  'admin-token': { type: 'string', placeholder: 'T', help: 'waiting-room admin token with --targets (default: $ADMIN_TOKEN)' },
  'database-url': {
    type: 'string',
    placeholder: 'URL',
    help: 'Postgres for the post-sale checks (default: $DATABASE_URL; the local stack sets it)',
  },
  'inventory-schema': { type: 'string', placeholder: 'NAME', help: "schema of inventory-reservations' tables (default: inventory)" },
  'server-pids': { type: 'string', placeholder: 'PID,PID…', help: 'with --targets: service processes whose RSS and CPU to record' },
  'drain-seconds': { type: 'string', placeholder: 'S', help: 'how long to wait for confirmed orders to reach Postgres before checking' },
  'fairness-tolerance-ms': { type: 'string', placeholder: 'MS', help: 'admissions closer than this are not counted as out of order' },
  'request-timeout-ms': {
    type: 'string',
    placeholder: 'MS',
    help: 'a request or WebSocket handshake slower than this counts as unanswered',
  },
  out: {
    type: 'string',
    placeholder: 'DIR',
    help: 'where to write report.json and report.html (default: bench/reports/<scenario>-<timestamp>/)',
  },
  quiet: { type: 'boolean', help: 'no progress line' },
  help: { type: 'boolean', help: 'this help' },
} satisfies Record<string, OptionSpec>;

export interface BenchOptions {
  scenario: ScenarioName;
  shoppers: number;
  arrivalRate: number;
  prequeue: number;
  prequeueSeconds: number | null;
  durationSeconds: number;
  admissionRate: number;
  skus: number;
  stock: number;
  abuseRate: number;
  workers: number | null;
  perAddress: number;
  waitingRoomNodes: number | null;
  waitingRoomWorkers: number | null;
  targets: string[];
  adminToken: string | undefined;
  databaseUrl: string | undefined;
  inventorySchema: string;
  serverPids: number[];
  drainSeconds: number;
  fairnessToleranceMs: number;
  requestTimeoutMs: number;
  out: string | null;
  quiet: boolean;
}

/** Per-scenario defaults: small enough that a bare `pnpm bench <scenario>` finishes in under a minute. */
const DEFAULTS: Record<ScenarioName, Partial<BenchOptions>> = {
  'queue-storm': { shoppers: 2_000, arrivalRate: 200, prequeue: 500, admissionRate: 100, durationSeconds: 60, skus: 1, stock: 1_000_000 },
  'order-rush': { shoppers: 500, arrivalRate: 500, prequeue: 500, admissionRate: 500, durationSeconds: 60, skus: 3, stock: 20 },
  'gateway-abuse': { shoppers: 40, arrivalRate: 200, prequeue: 0, admissionRate: 500, durationSeconds: 10, skus: 2, stock: 1_000 },
  'flash-sale': { shoppers: 2_000, arrivalRate: 200, prequeue: 1_000, admissionRate: 200, durationSeconds: 60, skus: 3, stock: 100 },
};

export class UsageError extends Error {}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions | 'help' {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTION_SPECS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTION_SPECS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const scenario = positionals[0];
  if (!scenario) throw new UsageError('missing scenario');
  if (!(SCENARIOS as readonly string[]).includes(scenario))
    throw new UsageError(`unknown scenario "${scenario}" (one of ${SCENARIOS.join(', ')})`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const d = DEFAULTS[scenario as ScenarioName];
  const problems: string[] = [];
  const num = (name: keyof typeof OPTION_SPECS, fallback: number, min = 0): number => {
    const raw = values[name as keyof typeof values];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) problems.push(`--${name} must be a number ≥ ${min}, got "${String(raw)}"`);
    return n;
  };
  const optNum = (name: keyof typeof OPTION_SPECS, min = 1): number | null =>
    values[name as keyof typeof values] === undefined ? null : num(name, 0, min);
  const shoppers = Math.floor(num('shoppers', d.shoppers ?? 100, 1));
  const opts: BenchOptions = {
    scenario: scenario as ScenarioName,
    shoppers,
    arrivalRate: num('arrival-rate', d.arrivalRate ?? 100, 0.001),
    prequeue: Math.min(shoppers, Math.floor(num('prequeue', Math.min(shoppers, d.prequeue ?? 0)))),
    prequeueSeconds: optNum('prequeue-seconds', 0),
    durationSeconds: num('duration', d.durationSeconds ?? 60, 1),
    admissionRate: num('admission-rate', d.admissionRate ?? 100, 0.001),
    skus: Math.floor(num('skus', d.skus ?? 1, 1)),
    stock: Math.floor(num('stock', d.stock ?? 10, 0)),
    abuseRate: num('abuse-rate', 300, 1),
    workers: optNum('workers'),
    perAddress: Math.floor(num('per-address', 1_000, 1)),
    waitingRoomNodes: optNum('waiting-room-nodes'),
    waitingRoomWorkers: optNum('waiting-room-workers'),
    targets: (values.targets ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    adminToken: values['admin-token'] ?? env.ADMIN_TOKEN,
    databaseUrl: values['database-url'] ?? env.DATABASE_URL,
    inventorySchema: values['inventory-schema'] ?? 'inventory',
    serverPids: (values['server-pids'] ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0),
    drainSeconds: num('drain-seconds', 15, 0),
    fairnessToleranceMs: num('fairness-tolerance-ms', 1_000, 0),
    requestTimeoutMs: num('request-timeout-ms', 10_000, 1),
    out: values.out ?? null,
    quiet: values.quiet ?? false,
  };
  if (!/^[a-z_][a-z0-9_]*$/.test(opts.inventorySchema)) problems.push('--inventory-schema must be a plain lower-case identifier');
  for (const t of opts.targets) {
    const url = t.includes('=') ? t.slice(t.indexOf('=') + 1) : t;
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push(`--targets: "${t}" is not an http(s) URL`);
    } catch {
      problems.push(`--targets: "${t}" is not a URL`);
    }
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  return opts;
}

export function helpText(): string {
  const lines = [
    'usage: pnpm bench <scenario> [options]',
    '',
    'scenarios:',
    '  queue-storm    shoppers join a promotion over WebSocket (pre-queue burst, then an arrival rate) and wait to be admitted',
    '  order-rush     admitted shoppers race for a few hot SKUs with small stock; Postgres checked afterwards',
    '  gateway-abuse  forged, expired, replayed, wrong-audience, alg-none tokens and malformed bodies beside legitimate orders',
    '  flash-sale     the whole story: pre-queue, opening, admission, orders, confirmations, post-sale checks',
    '',
    'options:',
  ];
  for (const [name, spec] of Object.entries(OPTION_SPECS) as Array<[string, OptionSpec]>) {
    const flag = `--${name}${spec.placeholder ? ` ${spec.placeholder}` : ''}`;
    lines.push(`  ${flag.padEnd(28)} ${spec.help}`);
  }
  lines.push('', 'defaults per scenario:');
  for (const [s, d] of Object.entries(DEFAULTS)) {
    lines.push(
      `  ${s.padEnd(14)} --shoppers ${d.shoppers} --arrival-rate ${d.arrivalRate} --prequeue ${d.prequeue} --admission-rate ${d.admissionRate} --duration ${d.durationSeconds} --skus ${d.skus} --stock ${d.stock}`,
    );
  }
  lines.push('', 'Without --targets the bench starts the local stack the way `pnpm start` does (free ports, its own admin token).');
  lines.push('Post-sale checks read Postgres: they need DATABASE_URL (or --database-url) when --targets is used.');
  return lines.join('\n');
}
