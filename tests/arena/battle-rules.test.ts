// The small rules behind arena battles, as plain functions: FastChat's
// identity-word check, the token bucket, strict base64 and the prompt hash.
import { describe, expect, it } from 'vitest';
import { base64Problem } from '../../gateway/arena/battle-body-parser.js';
import { FASTCHAT_IDENTITY_WORDS, findIdentityWord } from '../../gateway/arena/battle-identity-words.js';
import { BattleRateLimiter } from '../../gateway/arena/battle-rate-limiter.js';
import { promptHash } from '../../gateway/arena/battle-service.js';
import { startOfUtcDay } from '../../gateway/arena/battle-vote.js';

describe("FastChat's identity words (clean_battle_data.py at 01e89b4e)", () => {
  it('matches case-insensitively as a plain substring of the lower-cased, joined messages', () => {
    expect(findIdentityWord(['Hello', 'I was trained by OpenAI.'])).toBe('openai');
    // Upstream's `word in messages`: no word boundaries, so "napalm" leaks "palm".
    expect(findIdentityWord(['The history of napalm.'])).toBe('palm');
    // Multi-word and error-banner entries count too.
    expect(findIdentityWord(['Built at UC Berkeley'])).toBe('uc berkeley');
    expect(findIdentityWord(['**API REQUEST ERROR** try later'])).toBe('**api request error**');
    expect(findIdentityWord(['The sky is blue.', 'Blue light scatters more.'])).toBeUndefined();
    // Messages are joined without a separator, as upstream's `messages += msg.lower()`.
    expect(findIdentityWord(['... goo', 'gle ...'])).toBe('google');
    expect(findIdentityWord([null, undefined, ''])).toBeUndefined();
  });

  it("keeps upstream's list, and a configured list replaces it", () => {
    expect(FASTCHAT_IDENTITY_WORDS).toHaveLength(31);
    expect(FASTCHAT_IDENTITY_WORDS.slice(0, 3)).toEqual(['vicuna', 'lmsys', 'koala']);
    expect(findIdentityWord(['I am Qwen'], ['qwen'])).toBe('qwen');
    expect(findIdentityWord(['I am ChatGPT'], ['qwen'])).toBeUndefined();
  });
});

describe('per-caller token bucket', () => {
  it('allows a burst of perMinute, then refuses with the wait until one token is back, and refills', () => {
    let now = 0;
    const b = new BattleRateLimiter({ perMinute: 3, now: () => now });
    expect([b.take('x'), b.take('x'), b.take('x')].every((t) => t.ok)).toBe(true);
    expect(b.take('x')).toEqual({ ok: false, retryAfterS: 20 });
    expect(b.take('y').ok).toBe(true);
    now = 19_000;
    expect(b.take('x').ok).toBe(false);
    now = 40_000;
    expect(b.take('x').ok).toBe(true);
  });

  it('forgets the least recently used caller past maxBuckets (a forgotten caller starts full)', () => {
    const b = new BattleRateLimiter({ perMinute: 1, maxBuckets: 2, now: () => 0 });
    expect(b.take('a').ok).toBe(true);
    expect(b.take('b').ok).toBe(true);
    expect(b.take('c').ok).toBe(true);
    expect(b.take('b').ok).toBe(false);
    expect(b.take('a').ok).toBe(true);
  });
});

describe('strict base64', () => {
  it('accepts the standard alphabet with padding and refuses everything else, naming why', () => {
    expect(base64Problem(Buffer.from('hello').toString('base64'), 10)).toBeUndefined();
    expect(base64Problem('', 10)).toMatch(/empty/);
    expect(base64Problem('aGVsbG8', 10)).toMatch(/multiple of 4/);
    expect(base64Problem('aGV-bG8=', 10)).toMatch(/standard alphabet/);
    expect(base64Problem('aGVs bG8=', 10)).toMatch(/multiple of 4|standard alphabet/);
    expect(base64Problem(Buffer.alloc(12).toString('base64'), 10)).toMatch(/12 bytes; at most 10/);
  });
});

describe('prompt hash and the UTC day', () => {
  it('hashes the normalised text with the media digests', () => {
    expect(promptHash('  Why is  the sky BLUE? ', [])).toBe(promptHash('why is the sky blue?', []));
    expect(promptHash('x', [{ sha256: 'a' }])).not.toBe(promptHash('x', [{ sha256: 'b' }]));
    expect(promptHash(null, [])).toBe(promptHash('', []));
  });

  it('starts the day at 00:00 UTC', () => {
    expect(startOfUtcDay(new Date('2026-12-05T23:59:59+05:00')).toISOString()).toBe('2026-12-05T00:00:00.000Z');
  });
});
