/**
 * Where a client finds the admin API's token when it is not given one: the variable, or
 * the file onebox writes into its state folder on first start (loopback only).
 */
export const TOKEN_ENV = 'ONEBOX_ADMIN_TOKEN';
export const ADMIN_URL_ENV = 'ONEBOX_ADMIN_URL';
export const TOKEN_FILE_NAME = 'admin-token';

/** The generated token's file in a state folder. */
export const tokenFile = (stateDir: string): string => `${stateDir.replace(/\/+$/, '')}/${TOKEN_FILE_NAME}`;
