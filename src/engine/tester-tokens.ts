/** Tester tokens for the CLI (`onebox tester-token`), which reaches the gateway's code through the engine. */
export { signTesterToken, TESTER_HEADER, type TesterGrant } from '../gateway/tester-token.js';
