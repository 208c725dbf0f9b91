import { useEffect, useState } from 'react';
import { api, type ScopeEntry } from './api';
import { explain } from './errors';

/** The deployment's scope catalog, with what the signed-in person may grant (`GET /scopes`). */
export function useScopeCatalog(): { catalog: ScopeEntry[] | null; error: string } {
  const [catalog, setCatalog] = useState<ScopeEntry[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api<{ items: ScopeEntry[] }>('GET', '/scopes').then(
      (result) => setCatalog(result.items),
      (failure) => setError(explain(failure).message),
    );
  }, []);
  return { catalog, error };
}
