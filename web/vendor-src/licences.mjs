// Writes LICENSES.txt for the bundle: every package with code in the output (read from
// esbuild's metafile), with its version, licence id and full licence text, and esbuild
// itself (its small runtime helpers are in the output). Fails when a licence is not one
// of the permissive ones Concord accepts, or when a package ships no licence text.
//
//   node licences.mjs <metafile> <LICENSES.txt>

import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const PERMISSIVE = new Set(["MIT", "ISC", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "0BSD"]);
const PACKAGE_OF = /node_modules\/((?:@[^/]+\/)?[^/]+)\//g;

const [metafilePath, outputPath] = process.argv.slice(2);
const meta = JSON.parse(readFileSync(metafilePath, "utf8"));

const directories = new Set(["node_modules/esbuild"]);
for (const output of Object.values(meta.outputs)) {
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    if (bytesInOutput === 0) continue;
    const found = [...input.matchAll(PACKAGE_OF)];
    if (found.length === 0) continue; // entry.js, Concord's own
    const last = found[found.length - 1];
    directories.add(input.slice(0, last.index + last[0].length - 1));
  }
}

const problems = [];
const sections = [...directories]
  .map((directory) => {
    const manifest = JSON.parse(readFileSync(join(directory, "package.json"), "utf8"));
    const licence = typeof manifest.license === "string" ? manifest.license : "";
    if (!PERMISSIVE.has(licence)) problems.push(`${manifest.name}: licence "${licence}"`);
    const file = readdirSync(directory).find((name) => /^(licen[cs]e|copying)/i.test(name));
    if (file === undefined) problems.push(`${manifest.name}: no licence file`);
    const text = file === undefined ? "" : readFileSync(join(directory, file), "utf8").trim();
    return { name: manifest.name, version: manifest.version, licence, text };
  })
  .sort((a, b) => a.name.localeCompare(b.name));

if (problems.length > 0) {
  console.error(`licences not accepted:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}

const rule = "=".repeat(78);
const body = sections
  .map(({ name, version, licence, text }) => `${rule}\n${name} ${version} (${licence})\n${rule}\n\n${text}\n`)
  .join("\n");
writeFileSync(
  outputPath,
  "The packages whose code is in coediting.js, each with its version, licence and the\n" +
    "licence's full text (written by web/vendor-src/build.sh; esbuild is the bundler,\n" +
    `whose small runtime helpers are in the output). ${sections.length} packages, every one under a\n` +
    `permissive licence (${[...new Set(sections.map((s) => s.licence))].join(", ")}).\n\n` +
    body,
);
console.log(`${outputPath}: ${sections.map((s) => `${s.name}@${s.version}`).join(", ")}`);
