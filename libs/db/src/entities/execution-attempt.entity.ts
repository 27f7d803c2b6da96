import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One provider call for a cell, written before the call and closed after it: the audit trail. */
@Entity({ name: 'execution_attempts' })
export class ExecutionAttemptEntity {
  @PrimaryColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'execution_id', type: 'bigint' }) executionId!: string;
  @Column({ name: 'job_id', type: 'text' }) jobId!: string;
  @Column({ type: 'integer' }) attempt!: number;
  @Column({ name: 'runner_id', type: 'text' }) runnerId!: string;
  @Column({ name: 'lease_token', type: 'uuid' }) leaseToken!: string;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
  @Column({ type: 'text', nullable: true }) outcome!: string | null;
  @Column({ name: 'http_status', type: 'integer', nullable: true }) httpStatus!: number | null;
  @Column({ type: 'jsonb', nullable: true }) error!: Record<string, unknown> | null;
  @Column({ name: 'latency_ms', type: 'integer', nullable: true }) latencyMs!: number | null;
  @Column({ name: 'input_tokens', type: 'integer', nullable: true }) inputTokens!: number | null;
  @Column({ name: 'output_tokens', type: 'integer', nullable: true }) outputTokens!: number | null;
  @Column({ type: 'jsonb', nullable: true }) usage!: Record<string, unknown> | null;
  @Column({ type: 'text', nullable: true }) endpoint!: string | null;
  @Column({ name: 'system_prompt', type: 'text' }) systemPrompt!: string;
  @Column({ name: 'user_prompt', type: 'text' }) userPrompt!: string;
  @Column({ type: 'jsonb' }) parameters!: Record<string, unknown>;
  @Column({ name: 'prompt_hash', type: 'text' }) promptHash!: string;
  @Column({ name: 'parameters_hash', type: 'text' }) parametersHash!: string;
  @Column({ type: 'text', nullable: true }) response!: string | null;
  @Column({ name: 'finish_reason', type: 'text', nullable: true }) finishReason!: string | null;
  @Column({ name: 'upstream_request_id', type: 'text', nullable: true }) upstreamRequestId!: string | null;
  @Column({ name: 'trace_id', type: 'text' }) traceId!: string;
  @Column({ name: 'span_id', type: 'text', nullable: true }) spanId!: string | null;
  @Column({ name: 'storage_note', type: 'text', nullable: true }) storageNote!: string | null;
}
