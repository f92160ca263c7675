// Builds the front-end assets that the Python services serve (no node at run time):
//   - the map widget of map-feed -> services/map-feed/src/map_feed/static/
//       widget/index.html, widget/assets/widget-<hash>.{js,css} (+ hashed fonts),
//       widget/favicon.{ico,svg} and apple-touch-icon.png (the DSFR's), embed.js
//   - the script and styles of map-feed's event pages -> the same widget/assets/
//       (event-<hash>.{js,css}); widget/manifest.json names every entry's file for the
//       service's templates (map_feed/templates/)
//   - the DSFR files of submission's reference form -> services/submission/src/submission/static/vendor/dsfr/
// Run: `npm ci && npm run build` in web/ (or `make assets` at the top).
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { franceOutline, departements } from "./scripts/geodata.mjs";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");
const mapStatic = join(repo, "services/map-feed/src/map_feed/static");
const formVendor = join(repo, "services/submission/src/submission/static/vendor/dsfr");
const dsfrDist = join(dirname(require.resolve("@gouvfr/dsfr/package.json")), "dist");
const dsfrVersion = require("@gouvfr/dsfr/package.json").version;

// DSFR's @font-face rules list woff2 then woff; every browser we support takes woff2, and the
// widget uses no italic and no Spectral: drop those so that only four fonts ship.
const trimFonts = (dropItalic) => ({
  name: "trim-dsfr-fonts",
  setup(build) {
    build.onLoad({ filter: /core(\.main)?\.min\.css$/ }, (args) => {
      let css = readFileSync(args.path, "utf8");
      css = css.replace(/@font-face\{[^}]*\}/g, (rule) =>
        dropItalic && /font-style:italic|Spectral/.test(rule)
          ? ""
          : rule.replace(/,url\([^)]*\.woff\) format\("woff"\)/g, ""),
      );
      return { contents: css, loader: "css" };
    });
  },
});

// Geographic data computed from registry packages at build time, bundled as JS modules.
const geodata = {
  name: "geodata",
  setup(build) {
    build.onResolve({ filter: /^virtual:/ }, (args) => ({ path: args.path, namespace: "virtual" }));
    build.onLoad({ filter: /.*/, namespace: "virtual" }, (args) => {
      const data = { "virtual:france-outline": franceOutline, "virtual:departements": departements };
      return { contents: `export default ${JSON.stringify(data[args.path]())};`, loader: "js" };
    });
  },
};

const common = {
  bundle: true,
  minify: true,
  legalComments: "linked",
  target: ["es2020"],
  logLevel: "warning",
  metafile: true,
  loader: { ".woff2": "file", ".woff": "file", ".svg": "file", ".png": "file" },
};

function sizeReport(result, root) {
  return Object.entries(result.metafile.outputs)
    .filter(([file]) => !file.endsWith(".map"))
    .map(([file, info]) => `${relative(root, file).padEnd(60)} ${(info.bytes / 1024).toFixed(1)} KiB`);
}

async function buildWidget() {
  const assets = join(mapStatic, "widget/assets");
  rmSync(join(mapStatic, "widget"), { recursive: true, force: true });
  mkdirSync(assets, { recursive: true });
  const result = await esbuild.build({
    ...common,
    entryPoints: {
      widget: "src/widget/main.js",
      "widget-style": "src/widget/widget.css",
      event: "src/event/main.js",
      "event-style": "src/event/style.css",
    },
    outdir: assets,
    entryNames: "[name]-[hash]",
    assetNames: "[name]-[hash]",
    plugins: [trimFonts(true), geodata],
    write: true,
  });
  // Each entry's built file, by the entry's name: {"widget.js": "/static/widget/assets/widget-<hash>.js", ...}
  const manifest = {};
  for (const [file, info] of Object.entries(result.metafile.outputs)) {
    if (!info.entryPoint) continue;
    const name = relative(assets, file);
    const entry = name.replace(/-[A-Z0-9]+\.(js|css)$/, "").replace(/-style$/, "");
    manifest[`${entry}.${name.endsWith(".css") ? "css" : "js"}`] = `/static/widget/assets/${name}`;
  }
  const sorted = Object.fromEntries(Object.entries(manifest).sort());
  writeFileSync(join(mapStatic, "widget/manifest.json"), `${JSON.stringify(sorted, null, 2)}\n`);
  const html = readFileSync("src/widget/index.html", "utf8")
    .replaceAll("{{JS}}", manifest["widget.js"])
    .replaceAll("{{CSS}}", manifest["widget.css"]);
  writeFileSync(join(mapStatic, "widget/index.html"), html);
  // The DSFR's icons (the pages link them; map-feed also answers /favicon.ico; the
  // event pages' Open Graph image is the touch icon).
  for (const icon of ["favicon.ico", "favicon.svg", "apple-touch-icon.png"]) {
    cpSync(join(dsfrDist, "favicon", icon), join(mapStatic, "widget", icon));
  }

  const embed = await esbuild.build({
    ...common,
    entryPoints: ["src/embed.js"],
    outfile: join(mapStatic, "embed.js"),
    legalComments: "none",
  });
  return [...sizeReport(result, mapStatic), ...sizeReport(embed, mapStatic)];
}

async function buildFormVendor() {
  // The reference form uses DSFR core plus the components a form page needs; one CSS bundle,
  // the DSFR JS (module build) as is, the favicon set.
  rmSync(formVendor, { recursive: true, force: true });
  mkdirSync(formVendor, { recursive: true });
  const components = [
    "skiplink", "logo", "header", "footer", "link", "button", "form", "input", "select",
    "checkbox", "radio", "toggle", "alert", "notice", "callout", "badge", "tag", "stepper",
    "summary", "table", "card", "accordion", "breadcrumb", "modal", "upload",
  ];
  const entry = [
    `@import "${join(dsfrDist, "core/core.min.css")}";`,
    ...components.map((c) => `@import "${join(dsfrDist, `component/${c}/${c}.min.css`)}";`),
  ].join("\n");
  const result = await esbuild.build({
    ...common,
    stdin: { contents: entry, loader: "css", resolveDir: dsfrDist, sourcefile: "dsfr-form.css" },
    outfile: join(formVendor, "dsfr.min.css"),
    assetNames: "assets/[name]-[hash]",
    plugins: [trimFonts(false)],
    legalComments: "none",
  });
  // Icons at DSFR's usual path (utility/icons/icons.min.css), limited to two families.
  const icons = await esbuild.build({
    ...common,
    stdin: {
      contents: ["system", "arrows"]
        .map((f) => `@import "${join(dsfrDist, `utility/icons/icons-${f}/icons-${f}.min.css`)}";`)
        .join("\n"),
      loader: "css",
      resolveDir: dsfrDist,
      sourcefile: "dsfr-icons.css",
    },
    outfile: join(formVendor, "utility/icons/icons.min.css"),
    assetNames: "../../assets/[name]-[hash]",
    legalComments: "none",
  });
  cpSync(join(dsfrDist, "dsfr.module.min.js"), join(formVendor, "dsfr.module.min.js"));
  cpSync(join(dsfrDist, "favicon"), join(formVendor, "favicon"), { recursive: true });
  writeFileSync(
    join(formVendor, "VERSION"),
    `@gouvfr/dsfr ${dsfrVersion} (Licence Ouverte 2.0, see its terms of use)\n` +
      `components: core, ${components.join(", ")}\n` +
      "utility/icons/icons.min.css: icon families system and arrows\n",
  );
  return [...sizeReport(result, formVendor), ...sizeReport(icons, formVendor)].map((l) => `vendor/dsfr/${l}`);
}

// The back office's vendor files -> submission's static/vendor/: Leaflet for its map (an
// operator places an event by hand); places/france.json, the outline of France the map shows
// where the tiles cannot be reached; places/departements.json, the départements' names.
function copyBackOfficeVendor() {
  const vendor = join(repo, "services/submission/src/submission/static/vendor");
  const leaflet = dirname(require.resolve("leaflet/package.json"));
  for (const dir of ["leaflet", "places"]) {
    rmSync(join(vendor, dir), { recursive: true, force: true });
    mkdirSync(join(vendor, dir), { recursive: true });
  }
  for (const file of ["leaflet.js", "leaflet.css"]) cpSync(join(leaflet, "dist", file), join(vendor, "leaflet", file));
  cpSync(join(leaflet, "dist", "images"), join(vendor, "leaflet", "images"), { recursive: true });
  cpSync(join(leaflet, "LICENSE"), join(vendor, "leaflet", "LICENSE"));
  const version = require("leaflet/package.json").version;
  writeFileSync(join(vendor, "leaflet", "VERSION"), `leaflet ${version} (BSD-2-Clause, see LICENSE)\n`);
  writeFileSync(join(vendor, "places", "france.json"), JSON.stringify(franceOutline()));
  writeFileSync(join(vendor, "places", "departements.json"), JSON.stringify(Object.fromEntries(departements())));
  writeFileSync(join(vendor, "places", "SOURCES"),
    "france.json: world-atlas (Natural Earth 1:50m, public domain)\n" +
    "departements.json: @etalab/decoupage-administratif (INSEE COG, Licence Ouverte)\n");
  return [`vendor/leaflet/ (leaflet ${version}), vendor/places/ (france.json, departements.json)`];
}

// The browser tests inject axe-core; a copy in the repository lets them run without node.
function copyTestVendor() {
  const dest = join(repo, "tests/widget/vendor");
  mkdirSync(dest, { recursive: true });
  cpSync(require.resolve("axe-core/axe.min.js"), join(dest, "axe.min.js"));
  return [`tests/widget/vendor/axe.min.js (axe-core ${require("axe-core/package.json").version}, MPL-2.0)`];
}

const lines = [
  ...(await buildWidget()), ...(await buildFormVendor()), ...copyBackOfficeVendor(), ...copyTestVendor(),
];
console.log(lines.join("\n"));
const digest = createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 12);
console.log(`build ${digest}`);
