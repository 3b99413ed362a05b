import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Harness, PROVIDER_CREDENTIALS } from '../helpers/harness';

// On a machine with real keys, a session test would otherwise send the judge's and the agent's
// requests to a real provider.
test("a session test's harness clears the machine's provider credentials", () => {
  for (const name of PROVIDER_CREDENTIALS) process.env[name] = `machine-${name}`;
  const h = new Harness();
  rmSync(h.home, { recursive: true, force: true });
  for (const name of PROVIDER_CREDENTIALS) assert.equal(process.env[name], undefined, `${name} is still set`);
});
