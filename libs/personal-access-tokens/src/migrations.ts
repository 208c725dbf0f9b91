import { MIGRATIONS } from '../../../migrations';

/** Every migration of the library, oldest first: the tables of all modules (see the README for a lean composition). */
export const PERSONAL_ACCESS_TOKENS_MIGRATIONS = MIGRATIONS;
