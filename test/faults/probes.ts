import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { layout } from '../../src/files/layout';
import { RELAY_SOCKET } from '../../activities/relay';
import { eventually } from '../helpers/harness';

/** One attempt at something a sandbox must not be able to do, and what the harness said. */
export interface Probe {
  probe: string;
  refused: boolean;
  said: string;
}

/** One JSON line to a session's relay socket, one line back. */
function askRelay(sessionId: string, request: object): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(join(layout.relay(sessionId), RELAY_SOCKET));
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.includes('\n')) {
        sock.end();
        resolve(buf.trim());
      }
    });
    sock.on('error', reject);
    sock.on('close', () => resolve(buf.trim()));
    sock.write(JSON.stringify(request) + '\n');
  });
}

/**
 * What reaches a session's relay without its token: a submit with none, with a made-up one, and
 * with another session's (as a sandbox that read it would send). Each must be refused, saying why.
 */
export async function relayProbes(sessionId: string, otherSessionId: string): Promise<Probe[]> {
  const sock = join(layout.relay(sessionId), RELAY_SOCKET);
  await eventually(`the relay of ${sessionId} listening at ${sock}`, async () => existsSync(sock), 240_000, 250);
  const other = readFileSync(layout.relayToken(otherSessionId), 'utf8').trim();
  const submit = { op: 'submit', path: 'submissions/c00-good' };
  const attempts: [string, object, RegExp][] = [
    ['relay without a token', submit, /bad request: .*token/],
    ['relay with a made-up token', { ...submit, token: 'f'.repeat(48) }, /bad session token/],
    ["relay with another session's token", { ...submit, token: other }, /bad session token/],
  ];
  const out: Probe[] = [];
  for (const [probe, req, expected] of attempts) {
    const said = await askRelay(sessionId, req).catch((err: Error) => `error: ${err.message}`);
    let answer: { ok?: boolean; error?: string } = {};
    try {
      answer = JSON.parse(said) as typeof answer;
    } catch {
      // not JSON: not refused with a reason either
    }
    out.push({ probe, refused: answer.ok === false && expected.test(answer.error ?? ''), said });
  }
  return out;
}
