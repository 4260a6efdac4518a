// A two-worker cluster over the BUILT shared package (pnpm -s build first), for cluster-metrics.test.ts.
// MODE=serve: runCluster, as the services run it. MODE=silent: a primary that never answers /metrics.
// Each worker counts its own id in a counter and sets two gauges (default sum, and max); worker 1 then
// scrapes, and the primary prints { text } or { error } as one JSON line and stops.
import cluster from 'node:cluster';
import pino from 'pino';
import { runCluster } from '../../dist/cluster/index.js';
import { Gauge, createMetrics, joinClusterMetrics, scrapeMetrics } from '../../dist/metrics/index.js';

async function worker() {
  const { registry, httpRequests } = createMetrics('fixture', { defaultMetrics: false });
  httpRequests.inc({ method: 'GET', route: '/x', status: '200' }, cluster.worker.id);
  new Gauge({ name: 'fx_per_worker', help: 'summed', registers: [registry] }).set(10);
  new Gauge({ name: 'fx_same_everywhere', help: 'max', aggregator: 'max', registers: [registry] }).set(cluster.worker.id);
  process.on('message', (m) => {
    if (m !== 'scrape') return;
    scrapeMetrics(registry, 500).then(
      (text) => process.send({ result: { text } }),
      (err) => process.send({ result: { error: { code: err.code, status: err.status, message: err.message } } }),
    );
  });
  process.send('ready');
}

function coordinate(stop) {
  let ready = 0;
  cluster.on('message', (_w, m) => {
    if (m === 'ready' && ++ready === 2) cluster.workers[1].send('scrape');
    if (m?.result) {
      process.stdout.write(`${JSON.stringify(m.result)}\n`);
      stop();
    }
  });
}

if (process.env.MODE === 'serve') {
  await runCluster({ workers: 2, shutdownTimeoutMs: 1_000, logger: () => pino({ level: 'silent' }), startWorker: worker });
  if (cluster.isPrimary) coordinate(() => process.kill(process.pid, 'SIGTERM'));
} else if (cluster.isPrimary) {
  cluster.fork();
  cluster.fork();
  coordinate(() => {
    for (const w of Object.values(cluster.workers)) w.kill();
  });
} else {
  joinClusterMetrics();
  await worker();
}
