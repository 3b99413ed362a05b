/**
 * The speedrun's token shard format: a header of 256 little-endian int32 (magic, version,
 * token count, the rest zero) followed by the tokens as little-endian uint16.
 */
export const SHARD_MAGIC = 20240520;
export const SHARD_VERSION = 1;
export const SHARD_HEADER_INTS = 256;
export const SHARD_HEADER_BYTES = SHARD_HEADER_INTS * 4;
/** header[2] is an int32. */
export const SHARD_MAX_TOKENS = 0x7fffffff;

export class ShardFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShardFormatError';
  }
}

export function encodeShard(tokens: Uint16Array): Uint8Array {
  if (tokens.length > SHARD_MAX_TOKENS) {
    throw new ShardFormatError(`a shard holds at most ${SHARD_MAX_TOKENS} tokens (header[2] is an int32), got ${tokens.length}`);
  }
  const bytes = new Uint8Array(SHARD_HEADER_BYTES + tokens.length * 2);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, SHARD_MAGIC, true);
  view.setInt32(4, SHARD_VERSION, true);
  view.setInt32(8, tokens.length, true);
  if (isLittleEndianHost()) {
    bytes.set(new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength), SHARD_HEADER_BYTES);
  } else {
    for (let i = 0; i < tokens.length; i++) view.setUint16(SHARD_HEADER_BYTES + 2 * i, tokens[i], true);
  }
  return bytes;
}

/** Reads only the header; `name` says which shard an error is about. */
export function decodeShardHeader(bytes: Uint8Array, name = 'shard'): { tokenCount: number } {
  if (bytes.length < SHARD_HEADER_BYTES) {
    throw new ShardFormatError(`${name}: expected a ${SHARD_HEADER_BYTES}-byte header (256 int32), but the data is only ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getInt32(0, true);
  if (magic !== SHARD_MAGIC) {
    throw new ShardFormatError(`${name}: header[0] (magic) is ${magic}, expected ${SHARD_MAGIC}: not a speedrun token shard`);
  }
  const version = view.getInt32(4, true);
  if (version !== SHARD_VERSION) {
    throw new ShardFormatError(`${name}: header[1] (version) is ${version}, expected ${SHARD_VERSION} (uint16 tokens)`);
  }
  const tokenCount = view.getInt32(8, true);
  if (tokenCount < 0) throw new ShardFormatError(`${name}: header[2] (token count) is ${tokenCount}, expected a count ≥ 0`);
  const expectedBytes = SHARD_HEADER_BYTES + 2 * tokenCount;
  if (bytes.length !== expectedBytes) {
    throw new ShardFormatError(
      `${name}: header[2] says ${tokenCount} tokens, so expected ${expectedBytes} bytes (${SHARD_HEADER_BYTES} header + 2 per token), but it has ${bytes.length}`,
    );
  }
  return { tokenCount };
}

export function decodeShard(bytes: Uint8Array, name = 'shard'): Uint16Array {
  const { tokenCount } = decodeShardHeader(bytes, name);
  const tokens = new Uint16Array(tokenCount);
  if (isLittleEndianHost()) {
    // Copy rather than view: the body sits at an offset the caller's buffer may not align to 2.
    new Uint8Array(tokens.buffer).set(bytes.subarray(SHARD_HEADER_BYTES, SHARD_HEADER_BYTES + 2 * tokenCount));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < tokenCount; i++) tokens[i] = view.getUint16(SHARD_HEADER_BYTES + 2 * i, true);
  }
  return tokens;
}

function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
