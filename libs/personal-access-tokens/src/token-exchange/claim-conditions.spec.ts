import { evaluateConditions } from './claim-conditions';

describe('evaluateConditions', () => {
  const claims = { repository: 'acme/api', ref: 'refs/tags/v1.2.0', run_attempt: 1, groups: ['a'] };

  it('matches exact values, any of a list, and * patterns, reporting the values that matched', () => {
    expect(evaluateConditions(claims, { repository: 'acme/api', ref: ['refs/heads/main', 'refs/tags/v*'] })).toEqual({
      matched: { repository: 'acme/api', ref: 'refs/tags/v1.2.0' },
      failed: [],
    });
  });

  it('fails closed on missing, non-string and inherited claims, and treats regex characters literally', () => {
    expect(evaluateConditions(claims, { environment: 'prod', run_attempt: '1', groups: 'a', constructor: '*' }).failed).toEqual([
      'environment',
      'run_attempt',
      'groups',
      'constructor',
    ]);
    expect(evaluateConditions({ repository: 'acmeXapi' }, { repository: 'acme.api' }).failed).toEqual(['repository']);
    expect(evaluateConditions({ ref: 'refs/heads/main-evil' }, { ref: 'refs/heads/main' }).failed).toEqual(['ref']);
    expect(evaluateConditions({ ref: 'xrefs/tags/v1' }, { ref: 'refs/tags/v*' }).failed).toEqual(['ref']);
  });
});
