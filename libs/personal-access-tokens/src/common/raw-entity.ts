import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Turns a row of a plain SQL query (columns under their database names) into an entity, with the
 * driver's own conversions (SQLite's date strings, MySQL's tinyint booleans). For the hot paths,
 * where TypeORM's query builder and hydration cost more CPU than the query itself.
 */
export function hydrate<T extends ObjectLiteral>(manager: EntityManager, target: EntityTarget<T>, row: Record<string, unknown>): T {
  const { driver } = manager.connection;
  const entity: Record<string, unknown> = {};
  for (const column of manager.connection.getMetadata(target).columns) {
    const value = row[column.databaseName];
    entity[column.propertyName] = value === null || value === undefined ? null : driver.prepareHydratedValue(value, column);
  }
  return entity as T;
}

/** The escaped table name of an entity, for plain SQL. */
export function tableOf(manager: EntityManager, target: EntityTarget<ObjectLiteral>): string {
  return manager.connection.driver.escape(manager.connection.getMetadata(target).tableName);
}
