// Types of the module the admin server serves at assets/vendor/eventsource-parser.js.
export * from 'eventsource-parser';
