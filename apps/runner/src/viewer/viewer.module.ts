import { Module } from '@nestjs/common';
import { MatrixController } from './matrix.controller.js';
import { WhoamiController } from './whoami.controller.js';

/** The read routes the web viewer needs beyond the others: the paged matrix and the caller's role. */
@Module({ controllers: [MatrixController, WhoamiController] })
export class ViewerModule {}
