import { ExecutionAttemptEntity } from './execution-attempt.entity.js';
import { ExecutionEntity } from './execution.entity.js';
import { JobEntity } from './job.entity.js';
import { RunnerEntity } from './runner.entity.js';

export { ExecutionAttemptEntity, ExecutionEntity, JobEntity, RunnerEntity };
/** Every entity, for the DataSource. */
export const ENTITIES = [JobEntity, ExecutionEntity, ExecutionAttemptEntity, RunnerEntity];
