import { describe, expect, it } from 'vitest';
import { displayNameProblem, groupHandles, groupProblem, handleProblem, passwordProblem, relayUrlProblem, unencrypted } from './validate';

describe('sign-up validation', () => {
  it('accepts handles the relay accepts', () => {
    expect(handleProblem('maya.lopez_1')).toBeNull();
    expect(handleProblem('@Maya')).toBeNull();
  });
  it('explains bad handles', () => {
    expect(handleProblem('')).toBe('Choose a handle.');
    expect(handleProblem('ab')).toMatch(/3 to 24/);
    expect(handleProblem('has space')).toMatch(/3 to 24/);
  });
  it('wants 8 characters of password', () => {
    expect(passwordProblem('short')).toMatch(/8 characters/);
    expect(passwordProblem('long enough')).toBeNull();
  });
  it('checks names and relay addresses', () => {
    expect(displayNameProblem('  ')).not.toBeNull();
    expect(displayNameProblem('Maya')).toBeNull();
    expect(relayUrlProblem('http://127.0.0.1:7878')).toBeNull();
    expect(relayUrlProblem('relay.example')).toBeNull();
    expect(relayUrlProblem('ftp://relay.example')).toMatch(/https/);
    expect(relayUrlProblem('https://')).not.toBeNull();
  });
  it('knows a relay reached without TLS', () => {
    expect(unencrypted('http://127.0.0.1:7878')).toBe(true);
    expect(unencrypted(' HTTP://nas.local')).toBe(true);
    expect(unencrypted('https://relay.example')).toBe(false);
    expect(unencrypted('relay.example')).toBe(false);
  });
});

describe('new group', () => {
  it('reads handles separated by spaces or commas, once each', () => {
    expect(groupHandles(' @Maya, sam  maya,\nlee ')).toEqual(['maya', 'sam', 'lee']);
  });
  it('needs a title, someone, at most 31 others, and real handles', () => {
    expect(groupProblem(' ', ['maya'])).toMatch(/title/);
    expect(groupProblem('Trip', [])).toMatch(/at least one/);
    expect(groupProblem('Trip', Array.from({ length: 32 }, (_, i) => `user${i}`))).toMatch(/31/);
    expect(groupProblem('Trip', ['no!'])).toMatch(/@no! is not a handle/);
    expect(groupProblem('Trip', ['maya', 'sam'])).toBeNull();
  });
});
