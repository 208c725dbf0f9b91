import { isGranted, isValidGrantPattern, parseScope } from './scope';

describe('parseScope', () => {
  it('reads resource, action and the optional entity id', () => {
    expect(parseScope('reports:read')).toEqual({ resource: 'reports', action: 'read' });
    expect(parseScope('reports:read:42')).toEqual({ resource: 'reports', action: 'read', entityId: '42' });
  });

  it.each(['reports', 'Reports:read', 'reports:read:', 'reports::read', ':read', 'reports:read:a:b', 'a b:read', '*:read'])(
    'refuses %p',
    (scope) => expect(parseScope(scope)).toBeUndefined(),
  );
});

describe('isGranted', () => {
  it('grants a whole resource-action to every entity, not the reverse', () => {
    expect(isGranted('reports:read:42', ['reports:read'])).toBe(true);
    expect(isGranted('reports:read', ['reports:read:42'])).toBe(false);
    expect(isGranted('reports:read:7', ['reports:read:42'])).toBe(false);
  });

  it('understands wildcards and denials', () => {
    expect(isGranted('reports:delete', ['*'])).toBe(true);
    expect(isGranted('reports:delete', ['reports:*'])).toBe(true);
    expect(isGranted('reports:read', ['*:read'])).toBe(true);
    expect(isGranted('reports:delete', ['*:read'])).toBe(false);
    expect(isGranted('admin:read', ['*', '!admin:*'])).toBe(false);
    expect(isGranted('reports:read', ['*', '!admin:*'])).toBe(true);
  });

  it('grants nothing from nothing, and nothing that is not a scope', () => {
    expect(isGranted('reports:read', [])).toBe(false);
    expect(isGranted('not a scope', ['*'])).toBe(false);
  });

  it('validates grant patterns', () => {
    expect(isValidGrantPattern('*')).toBe(true);
    expect(isValidGrantPattern('!admin:*')).toBe(true);
    expect(isValidGrantPattern('reports:read:42')).toBe(true);
    expect(isValidGrantPattern('reports read')).toBe(false);
  });
});
