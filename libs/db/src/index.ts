export * from './entities/index.js';
export * from './data-source.factory.js';
export * from './repositories/job.repository.js';
export * from './repositories/read.repository.js';
export * from './embedded/index.js';
