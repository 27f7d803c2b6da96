import { Module } from '@nestjs/common';
import { MatrixController } from './matrix.controller.js';
import { SummaryController } from './summary.controller.js';
import { WhoamiController } from './whoami.controller.js';

/** The read routes the web viewer needs beyond the others: the paged matrix, the job's summary and the caller's role. */
@Module({ controllers: [MatrixController, SummaryController, WhoamiController] })
export class ViewerModule {}
