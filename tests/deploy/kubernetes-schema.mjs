// Validates Kubernetes objects against the API's OpenAPI schemas, offline: the npm package
// kubernetes-models (its models carry the schemas of Kubernetes' own API and validate with
// ajv). Reads a JSON array of objects on stdin; prints one line per object; exit 1 if any is
// invalid. The package's directory (holding node_modules/) is the first argument.
//
//   node tests/deploy/kubernetes-schema.mjs DIR < objects.json
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const dir = process.argv[2];
const objects = JSON.parse(readFileSync(0, "utf8"));
let bad = 0;
for (const obj of objects) {
  // kubernetes-models lays its models out as API version and kind: v1/Secret.js,
  // batch/v1/CronJob.js.
  const file = `${dir}/node_modules/kubernetes-models/${obj.apiVersion}/${obj.kind}.js`;
  const name = `${obj.kind}/${obj.metadata?.name}`;
  try {
    const mod = await import(pathToFileURL(file).href);
    new mod[obj.kind](obj).validate();
    console.log(`ok: ${name} is valid against the ${obj.apiVersion} schema`);
  } catch (e) {
    console.log(`FAIL: ${name}: ${e.message}`);
    bad++;
  }
}
process.exit(bad ? 1 : 0);
