import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { RULES, staticChecks } from '../../src/judge/staticChecks';
import type { JudgeCheck } from '../../src/domain/verdict';

const ROOT = resolve(__dirname, '..', '..', '..');
const TINY = join(ROOT, 'human_baselines', 'tiny', 'records');
const TINY_ANCHOR = join(TINY, '01_anchor');
const FASTRUN = join(ROOT, 'test', 'fixtures', 'fastrun', 'records');
const CHEATS = mkdtempSync(join(tmpdir(), 'judge-cheats-'));
execFileSync('python3', [join(ROOT, 'test', 'fixtures', 'judge', 'make_cheats.py'), CHEATS]);
after(() => rmSync(CHEATS, { recursive: true, force: true }));
const work = mkdtempSync(join(tmpdir(), 'nanogpt-bench-judge-'));
after(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A copy of the tiny anchor with text replacements applied (each must match). */
function variant(edits: Partial<Record<'run.sh' | 'train_gpt.py', [string, string][]>>, extra: Record<string, string> = {}): string {
  const dir = join(work, `v${n++}`);
  cpSync(TINY_ANCHOR, dir, { recursive: true });
  for (const [file, list] of Object.entries(edits)) {
    let text = readFileSync(join(dir, file), 'utf8');
    for (const [from, to] of list ?? []) {
      assert.ok(text.includes(from), `test edit: ${JSON.stringify(from)} not in ${file}`);
      text = text.replace(from, to);
    }
    writeFileSync(join(dir, file), text);
  }
  for (const [file, text] of Object.entries(extra)) writeFileSync(join(dir, file), text);
  return dir;
}

const byRule = (checks: JudgeCheck[]) => Object.fromEntries(checks.map((c) => [c.rule, c]));
function failed(checks: JudgeCheck[]): string[] {
  return checks.filter((c) => !c.passed).map((c) => c.rule);
}
function assertAllPass(dir: string, anchor = TINY_ANCHOR): JudgeCheck[] {
  const checks = staticChecks(dir, anchor);
  assert.deepEqual(
    failed(checks),
    [],
    checks
      .filter((c) => !c.passed)
      .map((c) => `${c.rule}: ${c.detail}`)
      .join('\n'),
  );
  return checks;
}
function assertOnlyFails(dir: string, rule: string, detail?: RegExp, alsoFails: string[] = []): JudgeCheck {
  const checks = staticChecks(dir, TINY_ANCHOR);
  assert.deepEqual(
    failed(checks),
    RULES.filter((r) => r === rule || alsoFails.includes(r)),
    checks.map((c) => `${c.passed ? 'ok' : 'FAIL'} ${c.rule}: ${c.detail}`).join('\n'),
  );
  const c = byRule(checks)[rule];
  if (detail) assert.match(c.detail, detail);
  return c;
}

test('every tiny speedrun record passes against the tiny anchor, each rule reporting', () => {
  const records = readdirSync(TINY).sort();
  assert.ok(records.length >= 4);
  for (const r of records) {
    const checks = assertAllPass(join(TINY, r));
    assert.deepEqual(
      checks.map((c) => c.rule),
      [...RULES],
    );
  }
});

test('every fastrun fixture record passes against the fastrun anchor', () => {
  const records = readdirSync(FASTRUN).sort();
  for (const r of records) assertAllPass(join(FASTRUN, r), join(FASTRUN, records[0]));
});

// every labelled fixture (tiny and real anchor) is judged in judgeEval.test.ts, through `judge --eval`
test('a cheat fixture names the anchor value, the candidate value and the line', () => {
  const c = byRule(staticChecks(join(CHEATS, 'tiny', 'val_tokens_changed'), TINY_ANCHOR))['val-tokens'];
  assert.equal(c.passed, false);
  assert.match(c.detail, /32768/);
  assert.match(c.detail, /16384 \(train_gpt\.py:26\)/);
  assert.equal(c.where, 'train_gpt.py:26');
  assert.match(c.fix ?? '', /keep `val_tokens = 32768`/);
});

test('legal edits pass: comments, layout, quotes, a renamed reader, new model arguments, reduce to rank 0', () => {
  const dir = variant({
    'train_gpt.py': [
      ['def load_data_shard(path):', '# read one shard\ndef read_shard(path):  # renamed, same body'],
      ['            tokens = load_data_shard(path)', '            tokens = read_shard(path)'],
      [
        '    tokens = torch.cat([load_data_shard(p) for p in shard_paths(args.val_files)])',
        '    tokens = torch.cat([read_shard(p) for p in shard_paths(args.val_files)])',
      ],
      [
        '            total += compiled(x, y, reduction="sum").double()',
        "            total += compiled(x, y, reduction='sum', scale=1.0).double()  # a new model argument",
      ],
      ['        dist.all_reduce(total)', '        dist.reduce(total, 0)'],
      ['    def forward(self, idx, targets, reduction="mean"):', '    def forward(self, idx, targets, reduction="mean", scale=1.0):'],
      ['    batch_rows = 16  # sequences per step, summed over all ranks', '    batch_rows = 8'],
      ['    val_loss_every = 50  # 0: only at the end', '    val_loss_every = 0'],
      [
        '        training_time_ms += 1000 * (time.perf_counter() - t0)',
        '        training_time_ms += 1000 * (\n            time.perf_counter() - t0\n        )  # stop the clock',
      ],
    ],
  });
  assertAllPass(dir);
});

test('run.sh forms that launch train_gpt.py through torchrun pass', () => {
  const forms = [
    'torchrun --standalone --nproc_per_node=1 train_gpt.py\n',
    '#!/bin/bash\n# a comment\nset -euo pipefail\nexport OMP_NUM_THREADS=1\nNCCL_DEBUG=WARN exec torchrun --standalone \\\n  --nproc_per_node="${NPROC_PER_NODE:-1}" ./train_gpt.py\n',
    'exec python3 -m torch.distributed.run --standalone --nproc_per_node=1 train_gpt.py 2>&1 | tee log.txt\n',
    'env -u FOO PYTHONUNBUFFERED=1 /usr/local/bin/torchrun --nproc_per_node 1 train_gpt.py; echo done\n',
  ];
  for (const form of forms) {
    const checks = byRule(staticChecks(variant({}, { 'run.sh': form }), TINY_ANCHOR));
    for (const rule of ['run-sh-launch', 'environment']) assert.equal(checks[rule].passed, true, `${JSON.stringify(form)}: ${checks[rule].detail}`);
  }
});

test('run.sh that does not launch train_gpt.py through torchrun, or runs work besides it, fails', () => {
  const forms: [string, RegExp][] = [
    ['# torchrun --standalone --nproc_per_node=1 train_gpt.py\npython3 train_gpt.py\n', /does not launch/],
    ['echo "torchrun --standalone train_gpt.py"\n', /does not launch/],
    ['torchrun --standalone --nproc_per_node=1 other.py train_gpt.py\n', /other\.py/],
    ['python3 precompute.py && torchrun --standalone --nproc_per_node=1 train_gpt.py\n', /precompute\.py/],
    ['torchrun --standalone --nproc_per_node=$(python3 warm.py) train_gpt.py\n', /command substitution/],
    ['if true; then torchrun --standalone train_gpt.py; fi\n', /control flow/],
    ['torchrun --standalone train_gpt.py\ntorchrun --standalone train_gpt.py\n', /launched 2 times/],
    ['cd ../other && torchrun --standalone train_gpt.py\n', /cd \.\.\/other/],
  ];
  for (const [form, detail] of forms) {
    const c = assertOnlyFails(variant({}, { 'run.sh': form }), 'run-sh-launch');
    assert.match(c.detail, detail, JSON.stringify(form));
  }
});

test('missing files fail required-files; a train_gpt.py that does not parse fails the rules that read it', () => {
  const noTrain = variant({});
  unlinkSync(join(noTrain, 'train_gpt.py'));
  const checks = byRule(staticChecks(noTrain, TINY_ANCHOR));
  assert.equal(checks['required-files'].passed, false);
  assert.match(checks['required-files'].detail, /missing train_gpt\.py/);
  assert.match(checks['val-tokens'].detail, /train_gpt\.py is missing/);

  const broken = byRule(staticChecks(variant({ 'train_gpt.py': [['def sync():', 'def sync(:']] }), TINY_ANCHOR));
  assert.equal(broken['python-parses'].passed, false);
  assert.match(broken['python-parses'].detail, /train_gpt\.py: SyntaxError at line \d+/);
  for (const rule of ['val-tokens', 'val-data', 'val-pipeline', 'data-loading']) assert.equal(broken[rule].passed, false, rule);
});

test('val_tokens set from the environment or overridden later fails val-tokens', () => {
  assertOnlyFails(
    variant({ 'train_gpt.py': [['    val_tokens = 32768', '    val_tokens = int(os.environ.get("VAL_TOKENS", "32768"))']] }),
    'val-tokens',
    /os\.environ/,
  );
  assertOnlyFails(variant({ 'train_gpt.py': [['args = Hyperparameters()\n', 'args = Hyperparameters()\nargs.val_tokens = 8192\n']] }), 'val-tokens', /8192/);
  assertOnlyFails(variant({ 'train_gpt.py': [['args = Hyperparameters()\n', 'args = Hyperparameters()\nsetattr(args, "val_tokens", 8192)\n']] }), 'val-tokens');
});

test('val data moved or reshaped fails val-data', () => {
  assertOnlyFails(
    variant({ 'train_gpt.py': [['    data_dir = os.environ.get("DATA_DIR", "data/tiny")', '    data_dir = "data/easier"']] }),
    'val-data',
    /data_dir/,
  );
  assertOnlyFails(variant({ 'train_gpt.py': [['    val_seq_len = 128', '    val_seq_len = 64']] }), 'val-data', /val_seq_len/);
});

test('changing how the val loss is summed, averaged or timed fails val-pipeline', () => {
  assertOnlyFails(
    variant({ 'train_gpt.py': [['    return (total / args.val_tokens).item()', '    return (total / args.val_tokens).item() - 0.01']] }),
    'val-pipeline',
    /missing or changed/,
  );
  // the clock's own statement changed: the val pipeline and the timed region both object
  assertOnlyFails(
    variant({
      'train_gpt.py': [['        training_time_ms += 1000 * (time.perf_counter() - t0)', '        training_time_ms += 500 * (time.perf_counter() - t0)']],
    }),
    'val-pipeline',
    /training_time_ms/,
    ['timed-region'],
  );
  assertOnlyFails(
    variant({ 'train_gpt.py': [['        val_loss = evaluate()\n', '        val_loss = evaluate()\n        val_loss = min(val_loss, 3.3)\n']] }),
    'val-pipeline',
    /new statement .*val_loss = min/,
  );
});

test('data read outside the shard reader, or listed another way, fails data-loading', () => {
  assertOnlyFails(
    variant({
      'train_gpt.py': [
        ['args = Hyperparameters()\n', 'args = Hyperparameters()\ncached = torch.load("/tmp/batches.pt") if os.path.exists("/tmp/batches.pt") else None\n'],
      ],
    }),
    'data-loading',
    /torch\.load/,
  );
  assertOnlyFails(
    variant({
      'train_gpt.py': [
        [
          '    paths = sorted(glob.glob(os.path.join(args.data_dir, pattern)))',
          '    paths = sorted(glob.glob(os.path.join(args.data_dir, pattern)))[:1]\n    extra = glob.glob("/data/*.bin")',
        ],
      ],
    }),
    'data-loading',
    /new file listing/,
  );
  assertOnlyFails(
    variant({ 'train_gpt.py': [['    train_files = "fineweb_train_*.bin"', '    train_files = "fineweb_train_00000[0-1].bin"']] }),
    'data-loading',
    /train_files/,
  );
});

test('inductor settings in any form and compile modes beyond the anchor fail compile-settings', () => {
  const forms: [Partial<Record<'run.sh' | 'train_gpt.py', [string, string][]>>, RegExp][] = [
    [{ 'train_gpt.py': [['import torch\n', 'import torch\ntorch._inductor.config.max_autotune = True\n']] }, /max_autotune at train_gpt\.py:13/],
    [
      { 'train_gpt.py': [['import torch\n', 'import torch\nfrom torch._inductor import config as ic\nsetattr(ic, "epilogue_fusion", False)\n']] },
      /epilogue_fusion/,
    ],
    [
      { 'train_gpt.py': [['import torch\n', 'import torch\nimport torch._inductor.config\ntorch._inductor.config.patch({"triton.cudagraphs": True})\n']] },
      /triton\.cudagraphs/,
    ],
    [
      { 'train_gpt.py': [['import os\n', 'import os\nos.environ["TORCHINDUCTOR_COORDINATE_DESCENT_TUNING"] = "1"\n']] },
      /env:TORCHINDUCTOR_COORDINATE_DESCENT_TUNING/,
    ],
    [{ 'run.sh': [['exec torchrun', 'TORCHINDUCTOR_MAX_AUTOTUNE=1 exec torchrun']] }, /env:TORCHINDUCTOR_MAX_AUTOTUNE at run\.sh:3/],
    [{ 'train_gpt.py': [['torch.compile(model)', 'torch.compile(model, options={"shape_padding": True})']] }, /shape_padding/],
    [{ 'train_gpt.py': [['torch.compile(model)', 'torch.compile(model, mode="reduce-overhead")']] }, /mode=reduce-overhead/],
  ];
  // set through the environment, they break the environment rule too
  for (const [edits, detail] of forms)
    assertOnlyFails(variant(edits), 'compile-settings', detail, JSON.stringify(edits).includes('TORCHINDUCTOR_') ? ['environment'] : []);
  // compiling more things the anchor's way is a kernel change, not a new mode
  assertAllPass(variant({ 'train_gpt.py': [['def get_lr_scale(step):', '@torch.compile(dynamic=False, fullgraph=True)\ndef get_lr_scale(step):']] }));
});
