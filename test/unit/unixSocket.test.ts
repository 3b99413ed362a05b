import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenUnix, withShortPath, UNIX_PATH_MAX } from '../../src/files/unixSocket';

describe('unix sockets deeper than a socket address holds', () => {
  it('listen lands at the path asked for, open to every user, and a client reaches it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'deep-sock-'));
    const dir = join(root, 'a-session-folder-with-a-long-name'.repeat(4));
    mkdirSync(dir);
    const path = join(dir, 'submit.sock');
    assert.ok(Buffer.byteLength(path) > UNIX_PATH_MAX);
    const server = createServer((s) => s.end('pong\n'));
    try {
      await listenUnix(server, path, { readableAll: true, writableAll: true });
      const st = statSync(path);
      assert.ok(st.isSocket(), 'the socket is where it was asked for');
      assert.equal(st.mode & 0o666, 0o666);
      const reply = await withShortPath(
        path,
        (short) =>
          new Promise<string>((resolve, reject) => {
            let got = '';
            connect(short)
              .on('data', (c) => (got += c.toString()))
              .on('end', () => resolve(got))
              .on('error', reject);
          }),
      );
      assert.equal(reply, 'pong\n');
    } finally {
      server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
