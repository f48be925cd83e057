/**
 * Decodes standard base64 strictly, without a regex over the payload: Node's
 * decoder skips characters outside the alphabet, so a clean string is one
 * whose decoded length is exactly what its length and padding promise. The
 * URL-safe `-` and `_`, which Node accepts, are refused; MIME-style line
 * breaks (Python's base64.encodebytes wraps at 76 characters) are not data.
 * Returns undefined for anything that is not clean base64.
 */
export function decodeStrictBase64(raw: string): Buffer | undefined {
  const text = raw.includes('\n') ? raw.replace(/\r?\n/g, '') : raw;
  if (text.length % 4 !== 0 || text.includes('-') || text.includes('_')) return undefined;
  const bytes = Buffer.from(text, 'base64');
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return bytes.byteLength === (text.length / 4) * 3 - pad ? bytes : undefined;
}
