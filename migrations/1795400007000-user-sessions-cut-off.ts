import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * `users.sessions_not_before`: set when a user is deactivated. Sessions issued at or before it
 * are refused for good, so that reactivating the user does not bring them back.
 */
export class UserSessionsCutOff1795400007000 implements MigrationInterface {
  name = 'UserSessionsCutOff1795400007000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'users',
      new TableColumn({ name: 'sessions_not_before', type: 'datetime', precision: 3, isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('users', 'sessions_not_before');
  }
}
