// Validate TagMango payloads with ajv and the published JSON Schema (see
// docs/schemas.md):  node validate-ajv.js events.schema.json PAYLOAD.json...
// Each payload file is named EVENT.json or EVENT.ANYTHING.json.
const fs = require("fs");
const path = require("path");
const Ajv2020 = require("ajv/dist/2020");

const ajv = new Ajv2020({ allowUnionTypes: true });
// Our annotations: strict mode refuses keywords it does not know.
ajv.addVocabulary(["x-tagmango-fields-status", "x-tagmango-type-source"]);
const bundle = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
ajv.addSchema(bundle);

const events = Object.keys(bundle.$defs).sort((a, b) => b.length - a.length);
let problems = 0;
const files = process.argv.slice(3);
for (const file of files) {
  const event = events.find((e) => path.basename(file).startsWith(e + "."));
  // Each event's schema is also reachable by its own $id.
  const validate = event && ajv.getSchema(bundle.$defs[event].$id);
  if (!validate) {
    console.log(`${file}: names no event`);
    problems++;
    continue;
  }
  const payload = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!validate(payload)) {
    console.log(`${file}: ${event}: ${ajv.errorsText(validate.errors)}`);
    problems++;
  }
  const broken = { ...payload, [bundle.$defs[event].required[0]]: [] };
  if (validate(broken)) {
    console.log(`${file}: ${event}: valid with an array as ${bundle.$defs[event].required[0]}`);
    problems++;
  }
}
console.log(`${files.length} payloads checked, ${problems} problems`);
process.exit(problems ? 1 : 0);
