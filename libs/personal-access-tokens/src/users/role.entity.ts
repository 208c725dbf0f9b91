import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'roles' })
export class Role {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Index('UQ_roles_name', { unique: true })
  @Column({ type: 'varchar', length: 50 })
  name: string;

  @Column({ type: 'varchar', length: 255 })
  description: string;

  /** Privilege names, JSON. */
  @Column({ type: 'simple-json' })
  privileges: string[];

  /** Scope grant patterns, JSON. */
  @Column({ type: 'simple-json' })
  scopes: string[];
}
