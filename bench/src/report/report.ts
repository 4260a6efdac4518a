import type { BenchOptions } from '../options.js';
import type { TimelinePoint, ScenarioOutcome } from '../scenarios/context.js';
import type { MachineInfo } from '../stats/machine.js';

/**
 * The JSON report (schema in bench/README.md). Times are ISO-8601, durations in ms, rates per second.
 */
export interface BenchReport {
  schemaVersion: 1;
  scenario: string;
  config: BenchOptions & { targets: string[]; startedStack: boolean; waitingRoomUrls: string[]; gatewayUrls: string[] };
  machine: MachineInfo;
  start: string;
  end: string;
  durationMs: number;
  passed: boolean;
  invariants: ScenarioOutcome['invariants'];
  results: Record<string, unknown>;
  timeline: TimelinePoint[];
  charts: ScenarioOutcome['charts'];
  notes: string[];
}
