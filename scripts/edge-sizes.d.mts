export declare const CLOUDFRONT_FUNCTION_MAX_BYTES: number;
export interface FunctionSize {
  readonly id: string;
  readonly comment: string;
  readonly bytes: number;
}
export declare function functionSizes(template: unknown): FunctionSize[];
export declare function synthDemo(out: string): unknown;
export declare function report(sizes: readonly FunctionSize[]): string;
