import { createDataSource } from './data-source.factory.js';

/** The DataSource for TypeORM's own CLI (`typeorm migration:show -d dist/libs/db/src/data-source.js`); needs DATABASE_URL. */
const dataSource = createDataSource(process.env.DATABASE_URL ?? 'postgres://localhost/beacon', { applicationName: 'beacon-typeorm-cli' });
export default dataSource;
