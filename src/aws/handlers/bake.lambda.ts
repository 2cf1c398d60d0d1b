/** Entry of the bake handlers' bundle: index.onEvent and index.isComplete. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { systemClock } from '../../core/model.js';
import { createBakeHandlers } from './bake.js';

const handlers = createBakeHandlers({ cloudwatch: new CloudWatchClient({}), clock: systemClock });

export const onEvent = handlers.onEvent;
export const isComplete = handlers.isComplete;
