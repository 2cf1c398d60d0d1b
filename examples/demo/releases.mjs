/**
 * The demo app's releases, oldest first: what each one changes. The build step compiles the
 * same sources once per release with these features switched on (as a feature branch would).
 */
export const RELEASES = [
  { name: 'v1', summary: 'the first release', features: {} },
  {
    name: 'v2',
    summary: 'the API adds each product\'s "rating"; the pages show it',
    features: { rating: true },
  },
  {
    name: 'v3',
    summary: 'the product pages add a "was $…" price badge, with a bug: it crashes on products without a list price',
    features: { rating: true, savingsBadge: true },
  },
  {
    name: 'v4',
    summary:
      "the badge again, drawn by the page's script, with the same bug moved to the browser: the script crashes on products without a list price, while every answer is a 200",
    features: { rating: true, clientBadge: true },
  },
];
