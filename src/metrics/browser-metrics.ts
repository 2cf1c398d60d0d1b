import type { BrowserBeat, BrowserErrorKind, BrowserWindow } from '../core/index.js';
import type { BrowserSnapshot } from '../api/types.js';

/** Page loads remembered for deduplication per version; the oldest are forgotten first. */
const PAGES_KEPT = 50_000;
/** Users remembered per version for windows; past it the oldest are forgotten (a window then undercounts). */
const USERS_KEPT = 200_000;
/** Paths counted apart per version; the others are counted under OTHER_PATHS. */
const PATHS_KEPT = 100;
const OTHER_PATHS = '(other)';

interface UserSeen {
  /** Sequence number of the user's last counted beacon, and of their last error (0: none). */
  seen: number;
  erred: number;
}

interface PageSeen {
  loaded: boolean;
  kinds: Set<BrowserErrorKind>;
}

const newKinds = (): Record<BrowserErrorKind, number> => ({ error: 0, rejection: 0, resource: 0, app: 0 });

/**
 * One version's browser signals: page views, errors by kind and by page, and the users seen
 * and erring, placed in a sequence so that a window (since a mark) counts distinct users.
 * Every page load counts once, and each kind of error once per page load, however many
 * beacons repeat it.
 */
export class BrowserMetrics {
  private seq = 0;
  private readonly users = new Map<string, UserSeen>();
  private readonly pages = new Map<string, PageSeen>();
  private readonly paths = new Map<string, { views: number; errors: number }>();
  pageViews = 0;
  /** Beacons that repeated what their page load had already said. */
  duplicates = 0;
  readonly errors = newKinds();
  private errorUserCount = 0;

  /** Counts one attributed beacon; false when it said nothing new (a duplicate). */
  record(beat: BrowserBeat): boolean {
    let page = this.pages.get(beat.page);
    if (page) this.pages.delete(beat.page);
    else page = { loaded: false, kinds: new Set() };
    this.pages.set(beat.page, page);
    if (this.pages.size > PAGES_KEPT) this.pages.delete(this.pages.keys().next().value!);
    const newLoad = beat.load && !page.loaded;
    const newErrors = beat.errors.filter((k, i) => !page.kinds.has(k) && beat.errors.indexOf(k) === i);
    if (!newLoad && newErrors.length === 0) {
      this.duplicates++;
      return false;
    }
    const path = this.pathEntry(beat.path);
    if (newLoad) {
      page.loaded = true;
      this.pageViews++;
      path.views++;
    }
    for (const k of newErrors) {
      page.kinds.add(k);
      this.errors[k]++;
      path.errors++;
    }
    const seq = ++this.seq;
    let user = this.users.get(beat.user);
    if (user) this.users.delete(beat.user);
    else user = { seen: 0, erred: 0 };
    if (newErrors.length && user.erred === 0) this.errorUserCount++;
    user.seen = seq;
    if (newErrors.length) user.erred = seq;
    this.users.set(beat.user, user);
    if (this.users.size > USERS_KEPT) {
      const [oldest, was] = this.users.entries().next().value!;
      if (was.erred) this.errorUserCount--;
      this.users.delete(oldest);
    }
    return true;
  }

  private pathEntry(path: string): { views: number; errors: number } {
    let entry = this.paths.get(path);
    if (!entry && this.paths.size >= PATHS_KEPT) entry = this.paths.get(OTHER_PATHS);
    if (!entry) this.paths.set(this.paths.size >= PATHS_KEPT ? OTHER_PATHS : path, (entry = { views: 0, errors: 0 }));
    return entry;
  }

  /** A mark of the browser signals now, to measure a window from. */
  mark(): number {
    return this.seq;
  }

  /**
   * Distinct users with a beacon since `mark`, and of them the users with an error since it.
   * Users are kept in order of their last beacon, so the scan stops at the first one before it.
   */
  since(mark: number | undefined): BrowserWindow {
    const from = mark ?? 0;
    let users = 0;
    let errorUsers = 0;
    const newestFirst = [...this.users.values()];
    for (let i = newestFirst.length - 1; i >= 0; i--) {
      const u = newestFirst[i]!;
      if (u.seen <= from) break;
      users++;
      if (u.erred > from) errorUsers++;
    }
    return { users, errorUsers };
  }

  snapshot(): BrowserSnapshot {
    const pages = [...this.paths]
      .filter(([, p]) => p.errors > 0)
      .sort((a, b) => b[1].errors - a[1].errors)
      .slice(0, 10)
      .map(([path, p]) => ({ path, views: p.views, errors: p.errors }));
    return {
      pageViews: this.pageViews,
      users: this.users.size,
      errorUsers: this.errorUserCount,
      errors: { ...this.errors },
      pages,
    };
  }
}
