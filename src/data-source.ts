import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from './config/load-config';
import { buildDataSourceOptions } from './database/data-source-options';

/** For the TypeORM CLI: the same options the app uses, from the same environment variables. */
export default new DataSource(buildDataSourceOptions(loadDatabaseConfig()));
