/**
 * The CloudFront Functions event, as AWS documents it ("CloudFront Functions event
 * structure"): header and cookie names are lowercase, each value is `{ value }` with an
 * optional `multiValue` list. Only the fields onebox reads or writes are typed.
 */
export interface CfValue {
  value: string;
  multiValue?: { value: string }[];
}

export interface CfRequest {
  method: string;
  uri: string;
  querystring: Record<string, CfValue>;
  headers: Record<string, CfValue>;
  cookies: Record<string, CfValue>;
}

export interface CfResponseCookie {
  value: string;
  attributes?: string;
}

export interface CfResponse {
  statusCode: number;
  statusDescription?: string;
  headers: Record<string, CfValue>;
  cookies: Record<string, CfResponseCookie>;
  /** A response the viewer-request function generates may carry a body (runtime 2.0). */
  body?: { encoding: 'text' | 'base64'; data: string };
}

export interface CfEvent {
  version: string;
  context: { eventType: string; requestId?: string; distributionId?: string; distributionDomainName?: string };
  viewer?: { ip: string };
  request: CfRequest;
  response?: CfResponse;
}

/** A CloudFront KeyValueStore handle: `get` rejects when the key does not exist. */
export interface CfKeyValueStore {
  get(key: string): Promise<string>;
}

/** The parts of the runtime's `cloudfront` module that onebox uses. */
export interface CfModule {
  kvs(id: string): CfKeyValueStore;
  updateRequestOrigin(params: {
    domainName: string;
    originAccessControlConfig?: {
      enabled: boolean;
      signingBehavior: 'always' | 'never' | 'no-override';
      signingProtocol: 'sigv4';
      originType: 'lambda' | 's3' | 'mediastore' | 'mediapackagev2';
    };
  }): void;
}
