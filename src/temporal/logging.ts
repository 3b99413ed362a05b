import { Console } from 'node:console';
import { writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { DefaultLogger, Runtime, makeTelemetryFilterString, type LogLevel } from '@temporalio/worker';

/**
 * Writes `text` to `fd` as it comes and drops it when it cannot be written: a worker whose
 * stdout and stderr go to a full disk must go on serving sessions.
 */
function writeOrDrop(fd: number, text: string | Uint8Array): void {
  const buf = Buffer.from(text);
  let off = 0;
  for (let busy = 0; off < buf.length && busy < 1000;) {
    try {
      off += writeSync(fd, buf, off);
    } catch (err) {
      // A non-blocking pipe that is full says EAGAIN: try again; anything else drops the line.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      busy += 1;
    }
  }
}

/** pino's async destination throws the write error as an unhandled 'error' event, which killed the worker. */
const stderrLines = { write: (line: string) => writeOrDrop(2, line) };

const droppingStream = (fd: number) =>
  new Writable({
    write(chunk: Buffer, _enc, done) {
      writeOrDrop(fd, chunk);
      done();
    },
  });

/**
 * For a long-lived process (a worker): its console lines, too, are dropped when they cannot be
 * written. Node's console over a file is a SyncWriteStream that, on ENOSPC, emits its error on
 * the next tick, after the console took its guard listener off: an unhandled 'error' event that
 * ended the worker with status 1 on its next console.log (the "worker on ..." line of a worker
 * started while the disk was full). Lines written once the disk has room again are kept.
 */
export function keepRunningWhenLogsCannotBeWritten(): void {
  globalThis.console = new Console({ stdout: droppingStream(1), stderr: droppingStream(2) });
  for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
}

/** Our own log lines: pino to stderr, level from NANOGPT_BENCH_LOG_LEVEL (default info). */
export const logger = pino({ level: (process.env.NANOGPT_BENCH_LOG_LEVEL ?? 'info').toLowerCase() }, stderrLines);

let installed = false;

/**
 * Routes the Temporal SDK's logs (the worker's, and activities' log.info) through pino at the
 * given level. Once per process: the Runtime is global.
 */
export function installTemporalLogging(level: LogLevel = (process.env.NANOGPT_BENCH_LOG_LEVEL?.toUpperCase() as LogLevel) ?? 'INFO'): void {
  if (installed) return;
  installed = true;
  const methods: Record<LogLevel, (obj: object, msg: string) => void> = {
    TRACE: (o, m) => logger.trace(o, m),
    DEBUG: (o, m) => logger.debug(o, m),
    INFO: (o, m) => logger.info(o, m),
    WARN: (o, m) => logger.warn(o, m),
    ERROR: (o, m) => logger.error(o, m),
  };
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: l, message, meta }) => {
      // Task tokens are long and say nothing to a reader; the ids around them do. Errors are
      // flattened because pino prints an Error under any key but `err` as {}.
      const { taskToken: _t, ...rest } = (meta ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(rest)) if (v instanceof Error) rest[k] = { type: v.name, message: v.message };
      methods[l](rest, message);
    }),
    // The SDK core's routine races (an activity that completed after its workflow moved on) are
    // not worth a warning. Its lines stay on the console: forwarding them here would keep a
    // process with no worker left alive on the forwarder's timer.
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level === 'TRACE' || level === 'DEBUG' ? level : 'ERROR' }), console: {} } },
  });
}
