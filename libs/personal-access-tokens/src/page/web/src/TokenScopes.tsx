import { useEffect, useState } from 'react';
import { api, type Token } from './api';
import { explain, type FieldErrors } from './errors';
import { EntityScopeInputs, PermissionsSummary } from './Permissions';
import { describeScope, ENTITY_ID, ENTITY_ID_RULE, entityScopesOf } from './permissions';
import { useScopeCatalog } from './scope-catalog';
import { Alert, ConfirmDialog, Field } from './ui';

const TOKENS = '/user/me/personal-access-tokens';

/** A token's permissions in words, each removable; Add a permission, one for one entity, or remove all. */
export function TokenScopes({ token, onChanged }: { token: Token; onChanged: (token: Token, message: string) => void }) {
  const { catalog } = useScopeCatalog();
  const [adding, setAdding] = useState('');
  const [entityBase, setEntityBase] = useState<string>('');
  const [entity, setEntity] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState('');
  const grantable = (catalog ?? []).filter((entry) => entry.grantable);
  const available = grantable.filter((entry) => !token.scopes.includes(entry.scope));
  const perEntity = entityScopesOf(catalog ?? []);
  useEffect(() => {
    if (!available.some((entry) => entry.scope === adding)) setAdding(available[0]?.scope ?? '');
    if (!entityBase && perEntity[0]) setEntityBase(perEntity[0].scope);
  }, [available, adding, entityBase, perEntity]);

  const add = async (scope: string, field: 'scope' | 'entity') => {
    setError('');
    setFields({});
    try {
      const result = await api<{ scopes: string[] }>('POST', `${TOKENS}/${token.id}/scopes`, { scope });
      onChanged({ ...token, scopes: result.scopes }, `Permission ${describeScope(scope, catalog)} was added.`);
      setEntity('');
    } catch (failure) {
      const explained = explain(failure);
      if (Object.keys(explained.fields).length) setFields({ [field]: Object.values(explained.fields)[0] });
      else setError(explained.message);
    }
  };
  const remove = async (scope: string) => {
    setError('');
    try {
      await api('DELETE', `${TOKENS}/${token.id}/scopes/${encodeURIComponent(scope)}`);
      onChanged({ ...token, scopes: token.scopes.filter((s) => s !== scope) }, `Permission ${describeScope(scope, catalog)} was removed.`);
    } catch (failure) {
      setError(explain(failure).message);
    }
  };
  const removeAll = async () => {
    setBusy(true);
    setDialogError('');
    try {
      await api('DELETE', `${TOKENS}/${token.id}/scopes`);
      onChanged({ ...token, scopes: [] }, 'All permissions were removed: the token can no longer do anything until you add one.');
      setConfirming(false);
    } catch (failure) {
      setDialogError(explain(failure).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="scopes-title">
      <div className="section-head">
        <h2 id="scopes-title">Permissions</h2>
        <button
          type="button"
          className="button small danger-outline"
          onClick={() => setConfirming(true)}
          disabled={token.scopes.length === 0}
        >
          Remove all permissions
        </button>
      </div>
      <Alert kind="error">{error}</Alert>
      {token.scopes.length === 0 ? (
        <p className="muted">This token has no permissions: it can do nothing.</p>
      ) : (
        <PermissionsSummary catalog={catalog} scopes={token.scopes} onRemove={remove} />
      )}
      <form
        className="add-scope"
        onSubmit={(event) => {
          event.preventDefault();
          if (adding) void add(adding, 'scope');
        }}
      >
        <Field label="Add a permission" error={fields.scope}>
          {(props) => (
            <select {...props} value={adding} onChange={(event) => setAdding(event.target.value)} disabled={available.length === 0}>
              {available.length === 0 && <option value="">No other permission can be granted</option>}
              {available.map((entry) => (
                <option key={entry.scope} value={entry.scope}>
                  {describeScope(entry.scope, catalog)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="button" disabled={!adding}>
          Add permission
        </button>
      </form>
      {perEntity.length > 0 && (
        <details className="advanced">
          <summary>Advanced: a permission on one entity only</summary>
          <EntityScopeInputs
            options={perEntity}
            base={entityBase}
            setBase={setEntityBase}
            entity={entity}
            setEntity={setEntity}
            error={fields.entity}
            addLabel="Add for this entity"
            onAdd={() => {
              if (!ENTITY_ID.test(entity.trim())) setFields({ entity: ENTITY_ID_RULE });
              else void add(`${entityBase}:${entity.trim()}`, 'entity');
            }}
          />
        </details>
      )}
      <ConfirmDialog
        open={confirming}
        title="Remove all permissions?"
        body="The token will keep working for nothing at all until you add a permission again."
        confirmLabel="Remove all permissions"
        onConfirm={removeAll}
        onClose={() => {
          setConfirming(false);
          setDialogError('');
        }}
        busy={busy}
        error={dialogError}
      />
    </section>
  );
}
