import { Module } from '@nestjs/common';
import { NotificationRepository } from '@beacon/db';
import { DataSource } from 'typeorm';
import { NotificationsController } from './notifications.controller.js';
import { NotificationsService } from './notifications.service.js';

/** Notification delivery in the daemon, and `/api/v1/notifications` (outbox, delivery log, retry). */
@Module({
  controllers: [NotificationsController],
  providers: [
    { provide: NotificationRepository, useFactory: (ds: DataSource) => new NotificationRepository(ds), inject: [DataSource] },
    NotificationsService,
  ],
})
export class NotificationsModule {}
