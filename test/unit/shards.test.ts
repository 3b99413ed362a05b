import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeShard, encodeShard, ShardFormatError, SHARD_HEADER_BYTES } from '../../src/domain/shards';
import { listShardFiles, readShardFile, shardFileName, writeShardFile } from '../../src/tokenShards/shardFiles';
import { Prng } from '../../src/domain/prng';
import { SYNTH_PROCESS, writeSynthDataset } from '../../src/tokenShards/synth';

test('a shard round-trips and its header is the speedrun one', () => {
  const tokens = Uint16Array.from([0, 1, 255, 256, 50256, 65535, 7]);
  const bytes = encodeShard(tokens);
  assert.equal(bytes.length, SHARD_HEADER_BYTES + 2 * tokens.length);
  const view = new DataView(bytes.buffer);
  assert.equal(view.getInt32(0, true), 20240520);
  assert.equal(view.getInt32(4, true), 1);
  assert.equal(view.getInt32(8, true), tokens.length);
  for (let i = 3; i < 256; i++) assert.equal(view.getInt32(4 * i, true), 0);
  assert.equal(view.getUint16(SHARD_HEADER_BYTES + 2 * 4, true), 50256);
  assert.deepEqual(decodeShard(bytes), tokens);
});

test('decoding reads a shard at an odd offset of a larger buffer', () => {
  const tokens = Uint16Array.from([3, 2, 1]);
  const outer = new Uint8Array(encodeShard(tokens).length + 1);
  outer.set(encodeShard(tokens), 1);
  assert.deepEqual(decodeShard(outer.subarray(1)), tokens);
});

function withInt32(bytes: Uint8Array, index: number, value: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setInt32(4 * index, value, true);
  return copy;
}

test('a bad header fails with what was expected', () => {
  const good = encodeShard(Uint16Array.from([1, 2, 3, 4]));
  assert.throws(
    () => decodeShard(withInt32(good, 0, 12345), 'x.bin'),
    (e: unknown) => e instanceof ShardFormatError && /x\.bin: header\[0\] \(magic\) is 12345, expected 20240520/.test(e.message),
  );
  assert.throws(() => decodeShard(withInt32(good, 1, 2)), /header\[1\] \(version\) is 2, expected 1/);
  assert.throws(() => decodeShard(withInt32(good, 2, 5)), /header\[2\] says 5 tokens, so expected 1034 bytes .* but it has 1032/);
  assert.throws(() => decodeShard(withInt32(good, 2, -1)), /token count\) is -1/);
  assert.throws(() => decodeShard(good.subarray(0, 1000)), /expected a 1024-byte header .* only 1000 bytes/);
  assert.throws(() => decodeShard(good.subarray(0, good.length - 1)), /expected 1032 bytes/);
});

test('shard files carry the speedrun names and list in index order', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shards-'));
  try {
    assert.equal(shardFileName('val', 0), 'fineweb_val_000000.bin');
    assert.equal(shardFileName('train', 12), 'fineweb_train_000012.bin');
    await writeShardFile(join(dir, shardFileName('train', 10)), Uint16Array.from([10]));
    await writeShardFile(join(dir, shardFileName('train', 2)), Uint16Array.from([2, 2]));
    await writeShardFile(join(dir, shardFileName('val', 0)), Uint16Array.from([0]));
    await writeFile(join(dir, 'fineweb_train_3.bin'), 'not a shard name');
    const train = await listShardFiles(dir, 'train');
    assert.deepEqual(
      train.map((p) => p.slice(dir.length + 1)),
      ['fineweb_train_000002.bin', 'fineweb_train_000010.bin'],
    );
    assert.deepEqual(await readShardFile(train[0]), Uint16Array.from([2, 2]));
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.includes('partial')),
      [],
    );
    await writeFile(join(dir, 'broken.bin'), new Uint8Array(10));
    await assert.rejects(readShardFile(join(dir, 'broken.bin')), /broken\.bin: expected a 1024-byte header/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the generator repeats itself from a seed and differs across seeds', () => {
  const draw = (seed: number, stream: number) =>
    Array.from(
      { length: 64 },
      (
        (r) => () =>
          r.nextUint32()
      )(new Prng(seed, stream)),
    );
  assert.deepEqual(draw(7, 0), draw(7, 0));
  assert.notDeepEqual(draw(7, 0), draw(8, 0));
  assert.notDeepEqual(draw(7, 0), draw(7, 1));
  const r = new Prng(1);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const v = r.below(10);
    assert.ok(Number.isInteger(v) && v >= 0 && v < 10);
    seen.add(v);
  }
  assert.equal(seen.size, 10);
});

async function synth(dir: string, seed: number) {
  return writeSynthDataset({ outDir: dir, trainShards: 2, tokensPerShard: 20_000, valTokens: 5_000, seed });
}

test('same seed gives byte-identical shards; the data is learnable far below its unigram entropy', async () => {
  const [a, b, c] = await Promise.all([0, 1, 2].map(() => mkdtemp(join(tmpdir(), 'synth-'))));
  try {
    const sa = await synth(a, 42);
    await synth(b, 42);
    await synth(c, 43);
    const names = ['fineweb_val_000000.bin', 'fineweb_train_000001.bin', 'fineweb_train_000002.bin'];
    assert.deepEqual(
      sa.files.map((f) => f.slice(a.length + 1)),
      names,
    );
    for (const n of names) {
      const [x, y, z] = await Promise.all([a, b, c].map((d) => readFile(join(d, n))));
      assert.ok(x.equals(y), `${n} differs between two runs with seed 42`);
      assert.ok(!x.equals(z), `${n} is the same for seeds 42 and 43`);
    }
    const val = await readShardFile(join(a, names[0]));
    assert.equal(val.length, 5_000);
    assert.equal(val[0], SYNTH_PROCESS.bosId);
    assert.ok(val.every((t) => t < SYNTH_PROCESS.vocabSize));
    // a document: BOS, then a topic token, then words
    for (let i = 0; i + 1 < val.length; i++) {
      if (val[i] === SYNTH_PROCESS.bosId) assert.ok(val[i + 1] >= 1 && val[i + 1] <= SYNTH_PROCESS.topics, `token after BOS at ${i} is ${val[i + 1]}`);
    }
    assert.ok(sa.unigramEntropyNats > 5, `unigram entropy ${sa.unigramEntropyNats}`);
    assert.ok(sa.entropyRateNats > 1.7 && sa.entropyRateNats < 1.85, `entropy rate ${sa.entropyRateNats}`);
    const meta = JSON.parse(await readFile(join(a, 'synth.json'), 'utf8'));
    assert.equal(meta.seed, 42);
    assert.equal(meta.entropyRateNats, sa.entropyRateNats);
  } finally {
    await Promise.all([a, b, c].map((d) => rm(d, { recursive: true, force: true })));
  }
});
