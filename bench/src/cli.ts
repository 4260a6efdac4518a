/**
 * `pnpm bench <scenario> [options]` — see `--help` and bench/README.md. Exit code 0 when every
 * invariant of the scenario held, 1 when one failed or the run broke, 2 on a usage error.
 */
import { helpText, parseOptions, UsageError } from './options.js';
import { summaryTable } from './report/summary.js';
import { runBench } from './run.js';

async function main(): Promise<number> {
  let opts: ReturnType<typeof parseOptions>;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`bench: ${(err as Error).message}\n\n${helpText()}\n`);
      return 2;
    }
    throw err;
  }
  if (opts === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const tty = process.stderr.isTTY;
  let lastPrinted = 0;
  const { report, dir } = await runBench(opts, {
    handleSignals: true,
    log: (l) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}[bench] ${l}\n`),
    progress: opts.quiet
      ? undefined
      : (line) => {
          if (tty) process.stderr.write(`\r\x1b[K${line}`);
          else if (Date.now() - lastPrinted >= 5_000) {
            lastPrinted = Date.now();
            process.stderr.write(`${line}\n`);
          }
        },
  });
  if (tty) process.stderr.write('\r\x1b[K');
  process.stdout.write(`\n${summaryTable(report)}\n\nreports: ${dir}/report.json, ${dir}/report.html\n`);
  return report.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
