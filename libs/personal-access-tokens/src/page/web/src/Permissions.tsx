import { useId, useState } from 'react';
import type { ScopeEntry } from './api';
import {
  accessOf,
  describeScope,
  ENTITY_ID,
  ENTITY_ID_RULE,
  entityScopesOf,
  isEntityScope,
  levelLabel,
  levelsOf,
  resourcesOf,
  withAccess,
  type Access,
} from './permissions';

/**
 * The create form's permissions: one row per resource the person may grant, in words, with No
 * access / Read / Read and write; scopes for one entity as an advanced choice below.
 */
export function PermissionsPicker({
  catalog,
  value,
  onChange,
  error,
}: {
  catalog: ScopeEntry[];
  value: string[];
  onChange: (scopes: string[]) => void;
  error?: string;
}) {
  const resources = resourcesOf(catalog);
  const errorId = useId();
  const perEntity = value.filter(isEntityScope);
  return (
    <fieldset className={`scopes${error ? ' field-invalid' : ''}`} aria-describedby={error ? errorId : undefined} data-field="scopes">
      <legend>Permissions</legend>
      <p className="hint">Only what your role may grant is listed. A token can do only what its permissions allow.</p>
      {resources.length === 0 ? (
        <p>Your role may not grant any permission.</p>
      ) : (
        <table className="permissions">
          <caption className="visually-hidden">Permissions of the new token</caption>
          <thead>
            <tr>
              <th scope="col">Resource</th>
              <th scope="col">Access</th>
            </tr>
          </thead>
          <tbody>
            {resources.map((resource) => {
              const access = accessOf(resource, value);
              return (
                <tr key={resource.name}>
                  <th scope="row">
                    <span className="resource-title">{resource.title}</span>
                    <span className="muted small-text second-line">{resource.description}</span>
                  </th>
                  <td>
                    <select
                      aria-label={`Access to ${resource.title}`}
                      aria-invalid={error ? true : undefined}
                      value={access}
                      onChange={(event) => onChange(withAccess(value, resource, event.target.value as Access))}
                    >
                      {access === 'custom' && <option value="custom">Custom</option>}
                      {levelsOf(resource).map((level) => (
                        <option key={level} value={level}>
                          {levelLabel(resource, level)}
                        </option>
                      ))}
                    </select>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <EntityScopes catalog={catalog} value={value} onChange={onChange} />
      {perEntity.length > 0 && (
        <ul className="chips" aria-label="Permissions for one entity">
          {perEntity.map((scope) => (
            <li key={scope} className="chip">
              <span>{describeScope(scope, catalog)}</span>
              <button
                type="button"
                className="icon-button"
                aria-label={`Remove ${describeScope(scope, catalog)}`}
                onClick={() => onChange(value.filter((s) => s !== scope))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <div className="field-error" id={errorId}>
          {error}
        </div>
      )}
    </fieldset>
  );
}

/** Advanced: a permission on one entity of a resource this deployment has (never on a collection action). */
function EntityScopes({ catalog, value, onChange }: { catalog: ScopeEntry[]; value: string[]; onChange: (scopes: string[]) => void }) {
  const options = entityScopesOf(catalog);
  const [base, setBase] = useState(options[0]?.scope ?? '');
  const [entity, setEntity] = useState('');
  const [error, setError] = useState('');
  if (options.length === 0) return null;
  const add = () => {
    const id = entity.trim();
    if (!ENTITY_ID.test(id)) {
      setError(ENTITY_ID_RULE);
      return;
    }
    setError('');
    setEntity('');
    const scope = `${base}:${id}`;
    if (!value.includes(scope)) onChange([...value, scope]);
  };
  return (
    <details className="advanced" open={value.some(isEntityScope) || undefined}>
      <summary>Advanced: a permission on one entity only</summary>
      <p className="hint">
        For example {describeScope(`${options[0].scope}:42`, catalog)} lets the token {options[0].scope.split(':')[1]} that one{' '}
        {options[0].resourceTitle.toLowerCase()} entity and no other ({options[0].scope}:42).
      </p>
      <EntityScopeInputs options={options} base={base} setBase={setBase} entity={entity} setEntity={setEntity} error={error} onAdd={add} />
    </details>
  );
}

/** Permission + entity id + Add, shared by the create form and the detail page. */
export function EntityScopeInputs({
  options,
  base,
  setBase,
  entity,
  setEntity,
  error,
  onAdd,
  addLabel = 'Add',
}: {
  options: ScopeEntry[];
  base: string;
  setBase: (value: string) => void;
  entity: string;
  setEntity: (value: string) => void;
  error?: string;
  onAdd: () => void;
  addLabel?: string;
}) {
  const id = useId();
  return (
    <div className="entity-row">
      <div className="field">
        <label htmlFor={`${id}-base`}>Permission</label>
        <select id={`${id}-base`} value={base} onChange={(event) => setBase(event.target.value)}>
          {options.map((entry) => (
            <option key={entry.scope} value={entry.scope}>
              {describeScope(entry.scope, options)}
            </option>
          ))}
        </select>
      </div>
      <div className={`field${error ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-entity`}>Entity id</label>
        <input
          id={`${id}-entity`}
          value={entity}
          onChange={(event) => setEntity(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              onAdd();
            }
          }}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-entity-error` : undefined}
          placeholder="42"
        />
        {error && (
          <div className="field-error" id={`${id}-entity-error`}>
            {error}
          </div>
        )}
      </div>
      <button type="button" className="button" onClick={onAdd}>
        {addLabel}
      </button>
    </div>
  );
}

/** What a token may do, in words: per resource its level (or its actions), and its one-entity permissions. */
export function PermissionsSummary({
  catalog,
  scopes,
  onRemove,
}: {
  catalog: ScopeEntry[] | null;
  scopes: string[];
  onRemove?: (scope: string) => void;
}) {
  const resources = resourcesOf(catalog ?? [], false);
  const rows = resources
    .map((resource) => ({ resource, held: scopes.filter((scope) => scope.split(':')[0] === resource.name) }))
    .filter((row) => row.held.length > 0);
  // A scope the catalog no longer has (a product resource removed since) is still shown, by its name.
  const unknown = scopes.filter((scope) => !resources.some((resource) => resource.name === scope.split(':')[0]));
  return (
    <table className="permissions">
      <caption className="visually-hidden">Permissions of this token</caption>
      <thead>
        <tr>
          <th scope="col">Resource</th>
          <th scope="col">Access</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ resource, held }) => {
          const access = accessOf(resource, held);
          return (
            <tr key={resource.name}>
              <th scope="row">
                <span className="resource-title">{resource.title}</span>
                <span className="muted small-text second-line">{resource.description}</span>
              </th>
              <td>
                {access !== 'custom' && access !== 'none' && <strong className="access">{levelLabel(resource, access)}</strong>}
                <ul className="chips" aria-label={`Permissions on ${resource.title}`}>
                  {held.map((scope) => (
                    <ScopeChip key={scope} scope={scope} catalog={catalog} onRemove={onRemove} />
                  ))}
                </ul>
              </td>
            </tr>
          );
        })}
        {unknown.map((scope) => (
          <tr key={scope}>
            <th scope="row">{scope.split(':')[0]}</th>
            <td>
              <ul className="chips">
                <ScopeChip scope={scope} catalog={catalog} onRemove={onRemove} />
              </ul>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ScopeChip({ scope, catalog, onRemove }: { scope: string; catalog: ScopeEntry[] | null; onRemove?: (scope: string) => void }) {
  const [, action, entity] = scope.split(':');
  return (
    <li className="chip" title={scope}>
      <span>
        {action}
        {entity && <span className="muted"> only {entity}</span>}
      </span>
      {onRemove && (
        <button
          type="button"
          className="icon-button danger-text"
          aria-label={`Remove ${describeScope(scope, catalog)}`}
          title={`Remove ${scope}`}
          onClick={() => onRemove(scope)}
        >
          ×
        </button>
      )}
    </li>
  );
}
