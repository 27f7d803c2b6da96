import { Global, type InjectionToken, Module, type Provider } from '@nestjs/common';
import { DiffRepository, JobRepository, LifecycleRepository, ReadRepository, SecurityRepository, TimelineRepository } from '@beacon/db';
import { DataSource } from 'typeorm';
import { JOB_REPOSITORY, LIFECYCLE_REPOSITORY, READ_REPOSITORY, SECURITY_REPOSITORY } from './tokens.js';

/** A repository of `@beacon/db` over the daemon's DataSource. */
function repository(provide: InjectionToken, make: (ds: DataSource) => unknown): Provider & { provide: InjectionToken } {
  return { provide, useFactory: make, inject: [DataSource] };
}

const REPOSITORIES = [
  repository(JOB_REPOSITORY, (ds) => new JobRepository(ds)),
  repository(READ_REPOSITORY, (ds) => new ReadRepository(ds)),
  repository(LIFECYCLE_REPOSITORY, (ds) => new LifecycleRepository(ds)),
  repository(SECURITY_REPOSITORY, (ds) => new SecurityRepository(ds)),
  repository(TimelineRepository, (ds) => new TimelineRepository(ds)),
  repository(DiffRepository, (ds) => new DiffRepository(ds)),
];

/**
 * The repositories the feature modules share, over CoreModule's DataSource. Each is hand-written SQL (see
 * `createDataSource` for why there are no entities); services that own a repository of their own (the engine's
 * queue, the analysis reader, the reconciler) build it from the DataSource where they are.
 */
@Global()
@Module({
  providers: REPOSITORIES,
  exports: REPOSITORIES.map((p) => p.provide),
})
export class DatabaseModule {}
