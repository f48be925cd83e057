/** One decoded text line. */
export interface DecodedText {
  /** The characters read. */
  readonly text: string;
  /** Mean probability of the kept characters (0 when none), as PaddleOCR's `CTCLabelDecode` reports. */
  readonly confidence: number;
}

/**
 * Builds the class table of a PaddleOCR recogniser from its key file: class 0
 * is the CTC blank, then one class per line of the file, then the space
 * (`use_space_char=True`). Line endings are stripped like PaddleOCR's reader.
 */
export function ctcCharset(keyFileText: string): string[] {
  const lines = keyFileText.split('\n').map((l) => l.replace(/\r$/, ''));
  // A trailing newline leaves one empty element that is not a key.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return ['', ...lines, ' '];
}

/**
 * Greedy CTC decoding of a [batch, steps, classes] probability tensor: take the
 * best class per step, merge repeats, drop blanks (PaddleOCR
 * `CTCLabelDecode` with `is_remove_duplicate=True`).
 */
export function ctcGreedyDecode(probs: Float32Array, dims: readonly number[], charset: readonly string[]): DecodedText[] {
  const [batch, steps, classes] = dims as [number, number, number];
  if (dims.length !== 3) throw new RangeError(`CTC output must be [batch, steps, classes], got [${dims.join(', ')}]`);
  if (classes !== charset.length) {
    throw new RangeError(`Recogniser has ${classes} classes but the key file gives ${charset.length} (blank + keys + space)`);
  }
  // Checked once so the per-step reads below stay in range without a check each.
  if (classes < 1 || probs.length < batch * steps * classes) {
    throw new RangeError(`CTC output holds ${probs.length} values, fewer than its shape [${dims.join(', ')}] needs`);
  }
  const out: DecodedText[] = [];
  for (let b = 0; b < batch; b++) {
    let text = '';
    let confSum = 0;
    let kept = 0;
    let prev = -1;
    for (let t = 0; t < steps; t++) {
      const base = (b * steps + t) * classes;
      let best = 0;
      let bestP = probs[base]!;
      for (let c = 1; c < classes; c++) {
        const p = probs[base + c]!;
        if (p > bestP) {
          bestP = p;
          best = c;
        }
      }
      if (best !== 0 && best !== prev) {
        text += charset[best]!;
        confSum += bestP;
        kept++;
      }
      prev = best;
    }
    out.push({ text, confidence: kept === 0 ? 0 : confSum / kept });
  }
  return out;
}
