import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One cell of a job's matrix (question × model × region × replicate): the unit of work and of the queue. */
@Entity({ name: 'executions' })
export class ExecutionEntity {
  @PrimaryColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'job_id', type: 'text' }) jobId!: string;
  @Column({ name: 'question_id', type: 'text' }) questionId!: string;
  @Column({ name: 'model_id', type: 'text' }) modelId!: string;
  @Column({ type: 'text' }) region!: string;
  @Column({ type: 'integer' }) replicate!: number;
  @Column({ type: 'text' }) state!: string;
  @Column({ type: 'smallint' }) priority!: number;
  @Column({ name: 'run_after', type: 'timestamptz' }) runAfter!: Date;
  @Column({ type: 'integer' }) attempts!: number;
  @Column({ type: 'integer' }) failures!: number;
  @Column({ name: 'lease_losses', type: 'integer' }) leaseLosses!: number;
  @Column({ name: 'max_attempts', type: 'integer' }) maxAttempts!: number;
  @Column({ name: 'lease_owner', type: 'text', nullable: true }) leaseOwner!: string | null;
  @Column({ name: 'lease_token', type: 'uuid', nullable: true }) leaseToken!: string | null;
  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true }) leaseExpiresAt!: Date | null;
  @Column({ name: 'trace_id', type: 'text' }) traceId!: string;
  @Column({ name: 'result_attempt', type: 'integer', nullable: true }) resultAttempt!: number | null;
  @Column({ type: 'text', nullable: true }) response!: string | null;
  @Column({ name: 'finish_reason', type: 'text', nullable: true }) finishReason!: string | null;
  @Column({ type: 'text', nullable: true }) classification!: string | null;
  @Column({ name: 'classification_rule', type: 'text', nullable: true }) classificationRule!: string | null;
  @Column({ name: 'input_tokens', type: 'integer', nullable: true }) inputTokens!: number | null;
  @Column({ name: 'output_tokens', type: 'integer', nullable: true }) outputTokens!: number | null;
  @Column({ name: 'last_error', type: 'jsonb', nullable: true }) lastError!: Record<string, unknown> | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
}
