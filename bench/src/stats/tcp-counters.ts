import { readFileSync } from 'node:fs';

/**
 * Machine-wide TCP counters from /proc/net/netstat. Over loopback, accept-queue overflows (a server
 * not accepting fast enough during a connection storm) show up as ListenOverflows and the clients'
 * SYN retransmissions (1 s, 3 s, 7 s later) — the usual cause of join-latency tails and handshake
 * timeouts. Machine-wide: other processes' traffic counts too.
 */
export interface TcpCounters {
  listenOverflows: number;
  listenDrops: number;
  synRetransmits: number;
  timeouts: number;
}

export function readTcpCounters(): TcpCounters | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const names = lines[i]?.split(/\s+/) ?? [];
    const values = lines[i + 1]?.split(/\s+/) ?? [];
    const get = (n: string) => Number(values[names.indexOf(n)] ?? 0);
    return {
      listenOverflows: get('ListenOverflows'),
      listenDrops: get('ListenDrops'),
      synRetransmits: get('TCPSynRetrans'),
      timeouts: get('TCPTimeouts'),
    };
  } catch {
    return null;
  }
}

export function tcpDelta(before: TcpCounters | null, after: TcpCounters | null): TcpCounters | null {
  if (!before || !after) return null;
  return {
    listenOverflows: after.listenOverflows - before.listenOverflows,
    listenDrops: after.listenDrops - before.listenDrops,
    synRetransmits: after.synRetransmits - before.synRetransmits,
    timeouts: after.timeouts - before.timeouts,
  };
}
