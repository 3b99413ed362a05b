import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRecordsDir, loadBaselinesManifest } from '../../src/baselines/manifest';
import { staticChecks } from '../../src/judge/staticChecks';

// The human records from the anchor to the horizon are legal by definition: the static rules must
// pass every one against the anchor. Their code is not in this repository; `nanogpt-bench
// baselines fetch` puts it in human_baselines/records/<record>/.
test('every human record from the anchor to the horizon passes the static rules against the anchor', (t) => {
  const manifest = loadBaselinesManifest();
  const dir = defaultRecordsDir();
  const anchor = join(dir, manifest.anchor);
  const missing = manifest.records.filter((r) => !existsSync(join(dir, r.name, 'train_gpt.py')));
  if (missing.length) {
    t.skip(`skipped: ${missing.length} of ${manifest.records.length} records are not in ${dir} (run \`nanogpt-bench baselines fetch\`)`);
    return;
  }
  const failures: string[] = [];
  for (const r of manifest.records) {
    for (const c of staticChecks(join(dir, r.name), anchor)) if (!c.passed) failures.push(`${r.name} ${c.rule}: ${c.detail}`);
  }
  assert.deepEqual(failures, []);
});
