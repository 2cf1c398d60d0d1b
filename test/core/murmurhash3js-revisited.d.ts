/** Types for the reference MurmurHash3 port used only by the tests (the package ships none). */
declare module 'murmurhash3js-revisited' {
  type Bytes = Uint8Array | readonly number[];
  const murmurHash3: {
    readonly x86: {
      hash32(bytes: Bytes, seed?: number): number;
      hash128(bytes: Bytes, seed?: number): string;
    };
    readonly x64: {
      hash128(bytes: Bytes, seed?: number): string;
    };
  };
  export default murmurHash3;
}
