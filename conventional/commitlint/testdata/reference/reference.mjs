// Runs the real commitlint over JSON lines read from stdin and prints one
// JSON outcome per line, the way @commitlint/cli lints: the configuration
// loaded from a directory (extends config-conventional when it has no
// file), default ignores on, and core.commentChar "#" for message files.
//
// Input line:  {"message": "...", "edit": false, "dir": "/optional/config/dir"}
// Output line: {"valid":..., "errors":[...], "warnings":[...], "input":"..."}
//              or {"error": "..."} when commitlint throws.
//
// Usage: COMMITLINT_REFERENCE=/dir/with/node_modules node reference.mjs
import path from "node:path";
import readline from "node:readline";
import { pathToFileURL } from "node:url";

const ref = process.env.COMMITLINT_REFERENCE;
if (!ref) {
  console.error("set COMMITLINT_REFERENCE to a directory where package.json's dependencies are installed");
  process.exit(2);
}
const mod = async (name, file) =>
  (await import(pathToFileURL(path.join(ref, "node_modules", name, file)).href)).default;
const lint = await mod("@commitlint/lint", "lib/lint.js");
const load = await mod("@commitlint/load", "lib/load.js");

const configs = new Map();
async function configFor(dir) {
  const key = dir || "";
  if (!configs.has(key)) {
    const seed = dir ? {} : { extends: ["@commitlint/config-conventional"] };
    configs.set(key, load(seed, { cwd: dir || ref }));
  }
  return configs.get(key);
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  const req = JSON.parse(line);
  try {
    const loaded = await configFor(req.dir);
    const parserOpts =
      loaded.parserPreset && typeof loaded.parserPreset.parserOpts === "object"
        ? { ...loaded.parserPreset.parserOpts }
        : {};
    if (req.edit) parserOpts.commentChar = "#";
    const opts = {
      parserOpts,
      plugins: loaded.plugins || {},
      ignores: loaded.ignores || [],
      defaultIgnores: loaded.defaultIgnores !== false,
    };
    const out = await lint(req.message, loaded.rules, opts);
    process.stdout.write(JSON.stringify(out) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e && e.message) }) + "\n");
  }
}
