import { useEffect, useState } from 'react';
import { api, ApiError, type Page, type User } from './api';
import { explain, type FieldErrors } from './errors';

/** Where the page shows them. */
export const TRUST_POLICIES_PATH = '/admin/trust-policies';
/** The admin API of token exchange's trust policies. */
export const POLICIES = '/admin/token-exchange-policies';
/** The audit action of every exchange, successful or refused. */
export const EXCHANGE_ACTION = 'token_exchange.exchange';

/** Claim name -> the value it must have, or any of several (`*` matches any run of characters). */
export type ClaimConditions = Record<string, string | string[]>;

export interface TrustPolicy {
  id: string;
  name: string;
  issuer: string;
  audience: string;
  conditions: ClaimConditions;
  userId: string;
  scopes: string[];
  tokenLifetimeSeconds: number;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** One condition as the form edits it: a claim and one accepted value (several rows of one claim: any of them). */
export interface ConditionRow {
  claim: string;
  value: string;
}

export function rowsOf(conditions: ClaimConditions): ConditionRow[] {
  return Object.entries(conditions).flatMap(([claim, expected]) =>
    (Array.isArray(expected) ? expected : [expected]).map((value) => ({ claim, value })),
  );
}

/**
 * The rows as the API takes them: rows of one claim become a list. Rows left wholly empty are
 * dropped; a half-filled row is sent as it is, so that the API names what is wrong with it.
 */
export function conditionsOf(rows: ConditionRow[]): ClaimConditions {
  const conditions: Record<string, string[]> = {};
  for (const { claim, value } of rows) {
    const name = claim.trim();
    if (!name && !value.trim()) continue;
    (conditions[name] ??= []).push(value.trim());
  }
  return Object.fromEntries(Object.entries(conditions).map(([claim, values]) => [claim, values.length === 1 ? values[0] : values]));
}

/** Lifetimes offered (seconds): 15 minutes by default, an hour at most, as the API allows. */
export const LIFETIMES = [300, 600, 900, 1800, 2700, 3600];
export const DEFAULT_LIFETIME = 900;

export function lifetimeLabel(seconds: number): string {
  if (seconds % 60) return `${seconds} seconds`;
  const minutes = seconds / 60;
  return minutes === 60 ? '1 hour' : `${minutes} minutes`;
}

/** Refusals that belong to one field of the form, by their code. */
const POLICY_FIELD_CODES: Record<string, string> = {
  token_exchange_policy_name_taken: 'name',
  policy_user_cannot_generate: 'userId',
  scope_not_grantable: 'scopes',
};

/** The API's refusal, with each message next to its field (the API's own words). */
export function explainPolicyError(error: unknown): { message: string; fields: FieldErrors } {
  const explained = explain(error);
  if (error instanceof ApiError) {
    const field = POLICY_FIELD_CODES[error.code];
    if (field && !explained.fields[field]) {
      const text = /[.!?]$/.test(error.message) ? error.message : `${error.message}.`;
      return { message: 'Please correct the highlighted fields.', fields: { ...explained.fields, [field]: text } };
    }
    if (error.status === 404)
      return { message: 'This trust policy no longer exists. It may have been deleted in another window.', fields: {} };
  }
  return explained;
}

/** The users a policy may name, by email (an empty list when a host keeps its own users). */
export function useUsers(): User[] | null {
  const [users, setUsers] = useState<User[] | null>(null);
  useEffect(() => {
    api<Page<User>>('GET', '/admin/users?pageSize=100').then(
      (result) => setUsers(result.items),
      () => setUsers([]),
    );
  }, []);
  return users;
}
