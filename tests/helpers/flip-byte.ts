/**
 * XORs one byte of a buffer in place, the way the tamper tests corrupt a
 * file. A negative offset counts from the end. An offset outside the buffer
 * throws: a plain `bytes[i] ^= mask` there would silently do nothing and the
 * test would check a file that was never changed.
 */
export function flipByte(bytes: Uint8Array, offset: number, mask: number): void {
  const at = offset < 0 ? bytes.length + offset : offset;
  const byte = bytes[at];
  if (byte === undefined) throw new RangeError(`offset ${offset} is outside a ${bytes.length}-byte buffer`);
  bytes[at] = byte ^ mask;
}
