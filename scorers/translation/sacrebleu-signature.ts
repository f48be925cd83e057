// sacrebleu's reproducibility signatures (metrics/base.py Signature.format and the
// BLEUSignature/CHRFSignature fields), for the options scorers/translation supports.
import { sacrebleuSignatureVersion } from './sacrebleu-version.js';

/** Number of references per segment: a count, or `var` when segments differ (as sacrebleu prints it). */
export type NRefs = number | 'var';

/** sacrebleu's `nrefs` from the per-sample reference counts. */
export function nrefsOf(counts: readonly number[]): NRefs {
  const distinct = new Set(counts);
  return distinct.size === 1 ? counts[0]! : 'var';
}

/**
 * Python's `f'{x:.2f}'`: like toFixed(2), except that an exact tie rounds half to even
 * (Python rounds the binary value correctly with ties to even; toFixed rounds ties up).
 */
export function formatPy2f(x: number): string {
  const scaled = x * 100;
  if (Number.isFinite(scaled) && Math.abs(scaled % 1) === 0.5) {
    const lo = Math.floor(scaled);
    return ((lo % 2 === 0 ? lo : lo + 1) / 100).toFixed(2);
  }
  return x.toFixed(2);
}

function format(fields: readonly (readonly [string, string, string | number])[], short: boolean): string {
  const all = [...fields, ['version', 'v', sacrebleuSignatureVersion] as const];
  return all.map(([name, abbr, value]) => `${short ? abbr : name}:${value}`).join('|');
}

export interface BleuSignatureInput {
  nrefs: NRefs;
  lowercase: boolean;
  effectiveOrder: boolean;
  tokenize: string;
  smoothMethod: 'exp' | 'floor' | 'add-k' | 'none';
  /** The value given; the method's default when absent. */
  smoothValue?: number | undefined;
}

const SMOOTH_DEFAULTS = { exp: undefined, none: undefined, floor: 0.1, 'add-k': 1 } as const;

/** e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0` (short: `#:1|c:mixed|e:no|tok:13a|s:exp|v:2.6.0`). */
export function bleuSignature(args: BleuSignatureInput, short = false): string {
  const def = SMOOTH_DEFAULTS[args.smoothMethod];
  const smooth = def === undefined ? args.smoothMethod : `${args.smoothMethod}[${formatPy2f(args.smoothValue ?? def)}]`;
  return format(
    [
      ['nrefs', '#', args.nrefs],
      ['case', 'c', args.lowercase ? 'lc' : 'mixed'],
      ['eff', 'e', args.effectiveOrder ? 'yes' : 'no'],
      ['tok', 'tok', args.tokenize],
      ['smooth', 's', smooth],
    ],
    short,
  );
}

export interface ChrfSignatureInput {
  nrefs: NRefs;
  lowercase: boolean;
  epsSmoothing: boolean;
  charOrder: number;
  wordOrder: number;
  whitespace: boolean;
}

/** e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0` (`eff:yes` means no eps smoothing). */
export function chrfSignature(args: ChrfSignatureInput, short = false): string {
  return format(
    [
      ['nrefs', '#', args.nrefs],
      ['case', 'c', args.lowercase ? 'lc' : 'mixed'],
      ['eff', 'e', args.epsSmoothing ? 'no' : 'yes'],
      ['nc', 'nc', args.charOrder],
      ['nw', 'nw', args.wordOrder],
      ['space', 's', args.whitespace ? 'yes' : 'no'],
    ],
    short,
  );
}
