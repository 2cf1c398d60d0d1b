export declare const LAYERS: Record<string, readonly string[]>;
export declare const PURE: readonly string[];
export declare function layerRules(): object[];
