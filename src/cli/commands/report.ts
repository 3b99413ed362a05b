import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { connectClient } from '../../temporal/connection';
import { sessionHandle, sessionQueries } from '../../temporal/client';
import { layout } from '../../files/layout';
import { sessionRecordPath, type LiveSession } from '../../report/load';
import { writeSessionReport } from '../../report/write';

export function registerReportCommand(program: Command): void {
  program
    .command('report <sessionId>')
    .description("write a session's report.json and a self-contained report.html (figures as SVG, the agent's transcript)")
    .option('--out <dir>', 'folder for report.json and report.html [runs/<id>/]')
    .option('--offline', "use only the session's files, never ask the server")
    .action(async (id: string, o: { out?: string; offline?: boolean }) => {
      // An ended session left all it has on disk; a running one is asked for what is not there yet.
      const live = existsSync(sessionRecordPath(id)) || o.offline ? null : await askServer(id);
      const r = await writeSessionReport(id, o.out ?? layout.session(id), live);
      console.log(`report: ${r.html}\ndata:   ${r.json}`);
    });
}

/** The running session's status and submissions, or null when no server answers within a few seconds. */
export async function askServer(id: string): Promise<LiveSession | null> {
  const attempt = (async () => {
    const h = sessionHandle(await connectClient(), id);
    const [status, submissions] = await Promise.all([sessionQueries.status(h), sessionQueries.submissions(h)]);
    return { status, submissions };
  })();
  const timeout = new Promise<null>((r) => setTimeout(() => r(null), 5000).unref());
  return Promise.race([attempt, timeout]).catch(() => null);
}
