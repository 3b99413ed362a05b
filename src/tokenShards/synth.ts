import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Prng } from '../domain/prng';
import { shardFileName, writeShardFile } from './shardFiles';

/**
 * The synthetic language of the tiny speedrun. Each document is BOS, a topic token, then words
 * drawn from a sparse order-2 Markov chain whose tables depend on the topic: the successors of a
 * word are a small set that the topic chooses (long-range: the model must look back to the
 * topic token), and which of them is likely depends on a group of the word before it (order 2).
 * A small model learns it well within seconds, so its loss falls far below the unigram entropy,
 * and the entropy rate is known exactly, which bounds every achievable loss from below.
 *
 * Every probability is an integer ratio and every draw an integer, so a seed gives the same bytes
 * on every platform.
 */
export const SYNTH_PROCESS = {
  vocabSize: 256,
  bosId: 0,
  topics: 4,
  /** Groups the previous-but-one token falls into; the group permutes successor weights. */
  prev2Groups: 4,
  /** Weights of the successors of one context, most likely first (sum 100). */
  successorWeights: [40, 20, 12, 9, 7, 5, 4, 3],
  /** After this many words a document may end, each further token with chance 1/endOneIn. */
  minWords: 4,
  endOneIn: 64,
} as const;

type Proc = typeof SYNTH_PROCESS;

export interface SynthTables {
  /** [topic][prev1] → successor word ids, length K. */
  successors: Uint16Array;
  /** [topic][prev1][group] → order of slots by weight, length K. */
  slotOrder: Uint8Array;
  /** [token] → group. */
  group: Uint8Array;
}

const firstWord = (p: Proc): number => 1 + p.topics;
const K = (p: Proc): number => p.successorWeights.length;

export function buildTables(seed: number, p: Proc = SYNTH_PROCESS): SynthTables {
  const rng = new Prng(seed, 0);
  const k = K(p);
  const words = p.vocabSize - firstWord(p);
  const successors = new Uint16Array(p.topics * p.vocabSize * k);
  const slotOrder = new Uint8Array(p.topics * p.vocabSize * p.prev2Groups * k);
  const group = new Uint8Array(p.vocabSize);
  for (let t = 0; t < p.vocabSize; t++) group[t] = rng.below(p.prev2Groups);
  for (let z = 0; z < p.topics; z++) {
    for (let b = 0; b < p.vocabSize; b++) {
      const base = (z * p.vocabSize + b) * k;
      const chosen = new Set<number>();
      for (let j = 0; j < k; j++) {
        let w: number;
        do w = firstWord(p) + rng.below(words);
        while (chosen.has(w));
        chosen.add(w);
        successors[base + j] = w;
      }
      for (let g = 0; g < p.prev2Groups; g++) {
        const order = shuffled(k, rng);
        slotOrder.set(order, ((z * p.vocabSize + b) * p.prev2Groups + g) * k);
      }
    }
  }
  return { successors, slotOrder, group };
}

function shuffled(n: number, rng: Prng): Uint8Array {
  const a = Uint8Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function entropyNats(weights: readonly number[]): number {
  const total = weights.reduce((s, w) => s + w, 0);
  return -weights.reduce((s, w) => s + (w / total) * Math.log(w / total), 0);
}

/** Running sums for the entropy figures; the rate sums each step's exact conditional entropy. */
export class EntropyTally {
  readonly counts: Float64Array;
  conditionalNats = 0;
  predicted = 0;
  constructor(vocabSize: number) {
    this.counts = new Float64Array(vocabSize);
  }
  unigramEntropy(): number {
    const total = this.counts.reduce((s, c) => s + c, 0);
    let h = 0;
    for (const c of this.counts) if (c > 0) h -= (c / total) * Math.log(c / total);
    return h;
  }
  entropyRate(): number {
    return this.conditionalNats / this.predicted;
  }
}

/** One shard's tokens: starts with BOS; the last document is cut where the shard ends. */
export function generateTokens(tables: SynthTables, rng: Prng, count: number, tally?: EntropyTally, p: Proc = SYNTH_PROCESS): Uint16Array {
  const k = K(p);
  const cum = p.successorWeights.reduce<number[]>((acc, w) => [...acc, (acc.at(-1) ?? 0) + w], []);
  const totalWeight = cum[cum.length - 1];
  const hWords = entropyNats(p.successorWeights);
  const q = 1 / p.endOneIn;
  const hMayEnd = -(q * Math.log(q) + (1 - q) * Math.log(1 - q)) + (1 - q) * hWords;
  const hTopic = Math.log(p.topics);

  const out = new Uint16Array(count);
  let topic = 0;
  let prev2: number = p.bosId;
  let prev1: number = p.bosId;
  let words = 0;
  for (let i = 0; i < count; i++) {
    let next: number;
    let h: number;
    if (i === 0) {
      next = p.bosId;
      h = NaN;
    } else if (prev1 === p.bosId) {
      topic = rng.below(p.topics);
      next = 1 + topic;
      words = 0;
      h = hTopic;
    } else if (words >= p.minWords && rng.below(p.endOneIn) === 0) {
      next = p.bosId;
      h = hMayEnd;
    } else {
      const r = rng.below(totalWeight);
      let rank = 0;
      while (r >= cum[rank]) rank++;
      const ctx = topic * p.vocabSize + prev1;
      const slot = tables.slotOrder[(ctx * p.prev2Groups + tables.group[prev2]) * k + rank];
      next = tables.successors[ctx * k + slot];
      words++;
      h = words - 1 >= p.minWords ? hMayEnd : hWords;
    }
    out[i] = next;
    if (tally) {
      tally.counts[next]++;
      if (i > 0) {
        tally.conditionalNats += h;
        tally.predicted++;
      }
    }
    prev2 = prev1;
    prev1 = next;
  }
  return out;
}

export interface SynthOptions {
  outDir: string;
  trainShards: number;
  tokensPerShard: number;
  seed: number;
  valTokens: number;
}

export interface SynthSummary {
  files: string[];
  unigramEntropyNats: number;
  entropyRateNats: number;
}

/**
 * Writes fineweb_val_000000.bin and fineweb_train_000001.bin… plus synth.json. Each shard has its
 * own random stream, so adding shards never changes the ones before.
 */
export async function writeSynthDataset(o: SynthOptions): Promise<SynthSummary> {
  const p = SYNTH_PROCESS;
  const tables = buildTables(o.seed);
  const tally = new EntropyTally(p.vocabSize);
  const files: string[] = [];
  const valPath = join(o.outDir, shardFileName('val', 0));
  await writeShardFile(valPath, generateTokens(tables, new Prng(o.seed, 1), o.valTokens, tally));
  files.push(valPath);
  for (let i = 1; i <= o.trainShards; i++) {
    const path = join(o.outDir, shardFileName('train', i));
    await writeShardFile(path, generateTokens(tables, new Prng(o.seed, 1 + i), o.tokensPerShard, tally));
    files.push(path);
  }
  const summary = { files, unigramEntropyNats: tally.unigramEntropy(), entropyRateNats: tally.entropyRate() };
  const meta = {
    generator: 'nanogpt-bench data synth',
    seed: o.seed,
    trainShards: o.trainShards,
    tokensPerShard: o.tokensPerShard,
    valTokens: o.valTokens,
    process: p,
    unigramEntropyNats: summary.unigramEntropyNats,
    entropyRateNats: summary.entropyRateNats,
  };
  await writeFile(join(o.outDir, 'synth.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return summary;
}
