import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A submitted job: the spec as received, its normalised form, and the status its cells roll up to. */
@Entity({ name: 'jobs' })
export class JobEntity {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'bigint', insert: false, update: false }) seq!: string;
  @Column({ type: 'text' }) format!: string;
  @Column({ name: 'spec_received', type: 'text' }) specReceived!: string;
  @Column({ name: 'spec_hash', type: 'text' }) specHash!: string;
  @Column({ type: 'jsonb' }) spec!: Record<string, unknown>;
  @Column({ type: 'text' }) status!: string;
  @Column({ name: 'cells_expected', type: 'integer' }) cellsExpected!: number;
  @Column({ type: 'text', nullable: true }) submitter!: string | null;
  @Column({ name: 'trace_id', type: 'text', nullable: true }) traceId!: string | null;
  @Column({ type: 'text', nullable: true }) traceparent!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  @Column({ name: 'cancel_requested_at', type: 'timestamptz', nullable: true }) cancelRequestedAt!: Date | null;
}
