import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import { invalid } from '../core/errors.js';

/**
 * Default paths of a frontend's content-hashed assets: Vite's `build.assetsDir` (hashed names
 * by default), and the demo's. Next.js: `/_next/static/*`.
 */
export const DEFAULT_ASSET_PATHS: readonly string[] = ['/assets/*'];

/**
 * Default answers of the first origin that send an asset request to the other: 404, what a
 * function URL or a web server says of a file it lacks. An S3 origin reached without
 * s3:ListBucket answers 403 for a missing key: add 403 for one.
 */
export const DEFAULT_ASSET_FALLBACK_STATUS_CODES: readonly number[] = [404];

/** The status codes CloudFront takes as an origin group's failover criteria. */
const FAILOVER_CODES = new Set([400, 403, 404, 416, 500, 502, 503, 504]);

export interface AssetFallbackOptions {
  readonly paths: readonly string[];
  readonly statusCodes: readonly number[];
  readonly regular: cloudfront.IOrigin;
  readonly oneBox: cloudfront.IOrigin;
  /** Behaviors the user gave, which an asset path may not take over. */
  readonly taken: readonly string[];
}

/**
 * Skew protection for what a page loads without its script (a hashed asset, a lazy chunk):
 * one behavior per asset path whose origin is an origin group, the regular origin first and
 * the one-box origin on a 404, the same for every viewer. A hashed name is unique to the
 * release that built it, so whichever of the two versions has the file serves it, whatever
 * the viewer's partition is now: an open page of the version the viewer left keeps its
 * assets. Declarative (CloudFront's origin failover, GET/HEAD/OPTIONS only, as the behavior
 * allows), so the viewer functions do not run there and the cache is one copy per URL for
 * both partitions (CachingOptimized: the origin's Cache-Control decides).
 */
export function assetFallbackBehaviors(o: AssetFallbackOptions): Record<string, cloudfront.BehaviorOptions> {
  if (!o.paths.length) return {};
  if (!o.statusCodes.length || o.statusCodes.some((c) => !FAILOVER_CODES.has(c)))
    throw invalid(
      `assetFallbackStatusCodes must be some of ${[...FAILOVER_CODES].join(', ')} (CloudFront's failover codes), got [${o.statusCodes.join(', ')}]`,
    );
  const group = new origins.OriginGroup({
    primaryOrigin: o.regular,
    fallbackOrigin: o.oneBox,
    fallbackStatusCodes: [...o.statusCodes],
  });
  const behaviors: Record<string, cloudfront.BehaviorOptions> = {};
  for (const [i, path] of o.paths.entries()) {
    if (!/^\/[A-Za-z0-9._~\-/]*\*$/.test(path))
      throw invalid(
        `assetPaths[${i}] must be a path pattern starting with / and ending with *, like /assets/*, got "${path}"`,
      );
    if (o.taken.includes(path) || behaviors[path])
      throw invalid(`assetPaths[${i}] "${path}" is also an additionalBehaviors entry (or listed twice): give it once`);
    behaviors[path] = {
      origin: group,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD_OPTIONS,
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
    };
  }
  return behaviors;
}
