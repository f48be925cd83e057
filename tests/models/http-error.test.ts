// How provider error responses become ModelCallErrors: retry hints and what is worth retrying.
import { describe, expect, it } from 'vitest';
import { httpError } from '../../gateway/models/http/post-json.js';

const response = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('httpError', () => {
  it('reads retry-after-ms (OpenAI, Azure) before Retry-After', async () => {
    const e = await httpError(response(429, { error: { message: 'slow down', type: 'requests' } }, { 'retry-after-ms': '1500', 'retry-after': '2' }));
    expect(e).toMatchObject({ statusCode: 429, retryable: true, retryAfterMs: 1500 });
    expect((await httpError(response(429, {}, { 'retry-after': '2' }))).retryAfterMs).toBe(2000);
  });

  it("reads Gemini's RetryInfo.retryDelay from the body", async () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'Quota exceeded for metric generate_content_free_tier_requests',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }],
      },
    };
    expect(await httpError(response(429, body))).toMatchObject({ retryable: true, retryAfterMs: 37_000 });
  });

  it('does not retry an exhausted quota (OpenAI insufficient_quota), but does retry a rate limit', async () => {
    const quota = { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } };
    expect(await httpError(response(429, quota))).toMatchObject({ statusCode: 429, retryable: false });
    const rate = { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } };
    expect(await httpError(response(429, rate))).toMatchObject({ statusCode: 429, retryable: true });
  });
});
