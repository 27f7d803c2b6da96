import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A daemon process: registered at start with a per-start id, refreshed by heartbeat. */
@Entity({ name: 'runners' })
export class RunnerEntity {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'text' }) host!: string;
  @Column({ type: 'integer' }) pid!: number;
  @Column({ type: 'text', array: true, nullable: true }) regions!: string[] | null;
  @Column({ type: 'text' }) version!: string;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'last_seen_at', type: 'timestamptz' }) lastSeenAt!: Date;
  @Column({ name: 'stopped_at', type: 'timestamptz', nullable: true }) stoppedAt!: Date | null;
}
