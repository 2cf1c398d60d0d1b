/** Entry of the beacon function's bundle: index.handler. The page key comes from ONEBOX_PIN_KEY. */
import { pinKeyFromEnv } from '../browser.js';
import { beaconHandler } from './beacon.js';

export const handler = beaconHandler({ key: pinKeyFromEnv() });
