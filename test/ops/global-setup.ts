// The ops project's static client test reads the run's build of the client (see static.test.ts).
import { clientBuilt } from "../support/prepare.ts";

export default async function setup() {
  await clientBuilt();
}
