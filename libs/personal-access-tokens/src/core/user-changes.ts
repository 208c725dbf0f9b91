import { Injectable } from '@nestjs/common';

export type UserChangeListener = (userId: string) => void;

/**
 * Announces that a user's role, scopes or active flag changed, to whatever holds state derived
 * from them (the verification cache), so that the change applies on the very next request. The
 * default user store announces its own changes; a host app with its own users calls `changed`.
 *
 * @example
 * await accounts.update(id, { plan: 'free' });
 * userChanges.changed(id);
 */
@Injectable()
export class UserChanges {
  private readonly listeners: UserChangeListener[] = [];

  subscribe(listener: UserChangeListener): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  changed(userId: string): void {
    for (const listener of this.listeners) listener(userId);
  }
}
