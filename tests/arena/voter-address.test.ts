// A keyless voter is named by its address: IPv4 whole, IPv6 by its /64 (one
// client holds a whole /64; each address in it must not be a new voter with a
// fresh rate-limit bucket and daily cap).
import { describe, expect, it } from 'vitest';
import { publicVoterKey, voterAddress } from '../../gateway/arena/battle-keyless.js';

describe('voterAddress', () => {
  it('keeps IPv4 whole and reads IPv4-mapped IPv6 as IPv4', () => {
    expect(voterAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(voterAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('names IPv6 by its /64 prefix, however it is written', () => {
    expect(voterAddress('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(voterAddress('2001:0db8:0001:0002::1')).toBe('2001:db8:1:2::/64');
    expect(voterAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(voterAddress('::1')).toBe('0:0:0:0::/64');
    expect(voterAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('gives every address of one /64 the same voter key, and another /64 another', () => {
    const a = publicVoterKey('2001:db8:1:2::1');
    expect(publicVoterKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(a);
    expect(publicVoterKey('2001:db8:1:3::1')).not.toBe(a);
    expect(publicVoterKey('203.0.113.7')).not.toBe(publicVoterKey('203.0.113.8'));
    expect(a).toMatch(/^public:[0-9a-f]{24}$/);
  });
});
