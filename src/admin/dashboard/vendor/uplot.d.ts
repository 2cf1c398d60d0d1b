// Types of the module the admin server serves at assets/vendor/uplot.js (uplot's own ESM build).
export { default } from 'uplot';
