import { Module } from '@nestjs/common';
import { LiveEventsController } from './live-events.controller.js';
import { LiveEventsService } from './live-events.service.js';

/** `GET /api/v1/events`: server-sent events fed by one LISTEN connection (settings from CoreModule). */
@Module({ controllers: [LiveEventsController], providers: [LiveEventsService] })
export class LiveModule {}
