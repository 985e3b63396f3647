// Shared test fixtures: the golden vectors the Rust side writes (bundled into the test build).
import goldenJson from "./golden.json";

/** sdk/test/golden.json, untyped (its shape is asserted by the tests). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const golden: any = goldenJson;
