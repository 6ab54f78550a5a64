#!/usr/bin/env bash
# Rebuilds the vendored NL Design System stylesheets, keeping only the CSS that
# Raadzaam's pages use:
#
#   static/vendor/utrecht/component-library.css   @utrecht/component-library-css
#   static/vendor/voorbeeld/theme.css             @nl-design-system-unstable/voorbeeld-design-tokens
#
# It installs the exact versions named in static/vendor/*/VERSION (plus a pinned
# PurgeCSS) with npm in a temporary folder, purges the packages' own full CSS
# against app/templates/*.html and overwrites the two files above. The input is
# always the published package, never the files it wrote before, so running it
# twice gives the same bytes. Run it again after changing templates or
# static/css/raadzaam.css. Needs bash, node and npm with the npm registry.
#
# Usage: static/vendor/build.sh   (from anywhere)
set -euo pipefail

# Pinned tool versions; they decide the output together with VERSION files.
PURGECSS_VERSION=8.0.0
POSTCSS_VERSION=8.5.33                 # what purgecss parses and prints with
POSTCSS_SELECTOR_PARSER_VERSION=7.2.1  # what purgecss matches selectors with

vendor="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$vendor/../.." && pwd)"
utrecht_version="$(tr -d '[:space:]' <"$vendor/utrecht/VERSION")"
voorbeeld_version="$(tr -d '[:space:]' <"$vendor/voorbeeld/VERSION")"

for f in "$root/static/css/raadzaam.css" "$root/app/templates/layout.html"; do
	[[ -f $f ]] || { echo "build.sh: $f missing" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "build.sh: installing @utrecht/component-library-css@$utrecht_version," \
	"@nl-design-system-unstable/voorbeeld-design-tokens@$voorbeeld_version, purgecss@$PURGECSS_VERSION" >&2
(
	cd "$tmp"
	printf '{"name":"raadzaam-vendor-build","private":true}\n' >package.json
	npm install --no-audit --no-fund --ignore-scripts --loglevel=error --save-exact \
		"@utrecht/component-library-css@$utrecht_version" \
		"@nl-design-system-unstable/voorbeeld-design-tokens@$voorbeeld_version" \
		"purgecss@$PURGECSS_VERSION" \
		"postcss@$POSTCSS_VERSION" \
		"postcss-selector-parser@$POSTCSS_SELECTOR_PARSER_VERSION" >&2
)

cat >"$tmp/purge.cjs" <<'JS'
// Purges the two vendored stylesheets; see build.sh.
"use strict";
const fs = require("fs");
const path = require("path");
const postcss = require("postcss");
const { PurgeCSS } = require("purgecss");

const [root, outDir, utrechtVersion, voorbeeldVersion] = process.argv.slice(2);
const pkg = (name, file) => path.join(__dirname, "node_modules", name, file);
const sources = {
  utrecht: fs.readFileSync(pkg("@utrecht/component-library-css", "dist/index.css"), "utf8"),
  theme: fs.readFileSync(pkg("@nl-design-system-unstable/voorbeeld-design-tokens", "dist/theme.css"), "utf8"),
  raadzaam: fs.readFileSync(path.join(root, "static/css/raadzaam.css"), "utf8"),
};
const content = [path.join(root, "app/templates/*.html")];

// Safelist: what the pages may carry that the templates do not spell out.
// - /^rz-/: our own classes (Go code may add more without touching templates).
// - every HTML element name: Markdown rendered into .rz-prose (goldmark +
//   bluemonday) is plain tags without classes, and the element selectors stay.
// - the root classes the whole theme hangs on.
const elements = `a abbr address area article aside audio b bdi bdo blockquote body br button
  canvas caption cite code col colgroup data datalist dd del details dfn dialog div dl dt em
  fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe
  img input ins kbd label legend li link main map mark menu meta meter nav noscript object ol
  optgroup option output p picture pre progress q rp rt ruby s samp search section select slot
  small source span strong sub summary sup svg table tbody td template textarea tfoot th thead
  time title tr track u ul var video wbr`.split(/\s+/);
const safelist = {
  standard: [/^rz-/, ...elements, "utrecht-document", "utrecht-body", "voorbeeld-theme"],
};

// var(--x) references in a value ("var(--a, var(--b))" gives both).
const refs = (value) => [...value.matchAll(/var\(\s*(--[A-Za-z0-9_-]+)/g)].map((m) => m[1]);

// Every custom property that rules really use, following var() chains
// through the declarations of all three stylesheets. Roots: the var() uses in
// ordinary properties of the kept utrecht rules and of all of raadzaam.css.
function neededVariables(keptUtrecht) {
  const defs = new Map(); // --name -> [values]
  const roots = [];
  const scan = (css, isRoot) =>
    postcss.parse(css).walkDecls((d) => {
      if (d.prop.startsWith("--")) {
        if (!defs.has(d.prop)) defs.set(d.prop, []);
        defs.get(d.prop).push(d.value);
      } else if (isRoot) {
        roots.push(...refs(d.value));
      }
    });
  scan(keptUtrecht, true);
  scan(sources.raadzaam, true);
  scan(sources.theme, false);
  const needed = new Set();
  const queue = [...roots];
  while (queue.length) {
    const name = queue.pop();
    if (needed.has(name)) continue;
    needed.add(name);
    for (const v of defs.get(name) || []) queue.push(...refs(v));
  }
  return needed;
}

async function purge(variables, safelistVariables) {
  // raadzaam.css goes first: PurgeCSS drops unused variables after each file,
  // so its var() uses must be known before the theme is purged. Its own
  // purged output is thrown away; static/css/raadzaam.css is not touched.
  const results = await new PurgeCSS().purge({
    content,
    css: [{ raw: sources.raadzaam }, { raw: sources.utrecht }, { raw: sources.theme }],
    safelist: { ...safelist, variables: safelistVariables },
    variables,
    fontFace: true, // drop @font-face and @keyframes that no kept rule uses
    keyframes: true,
  });
  return { utrecht: results[1].css, theme: results[2].css };
}

const selectorsOf = (css) => {
  const out = [];
  postcss.parse(css).walkRules((r) => out.push(r.selector));
  return out.join("\n");
};

function declared(css) {
  const set = new Set();
  postcss.parse(css).walkDecls((d) => d.prop.startsWith("--") && set.add(d.prop));
  return set;
}

// Drops the packages' comments (the licence goes into our header) and empty
// at-rules, puts
// @charset first as CSS wants it, and tidies the blank lines removal left.
function tidy(css, header) {
  const ast = postcss.parse(css);
  let charset = "";
  ast.walkComments((c) => c.remove());
  // at-rules (@supports, @media, @container) whose rules were all purged
  for (let again = true; again; ) {
    again = false;
    ast.walkAtRules((a) => {
      if (Array.isArray(a.nodes) && a.nodes.length === 0) {
        a.remove();
        again = true;
      }
    });
  }
  ast.walkAtRules("charset", (a) => {
    charset = `@charset ${a.params};\n`;
    a.remove();
  });
  ast.walk((n) => {
    if (n.raws.before !== undefined) n.raws.before = n.raws.before.replace(/\n\s*\n(\s*)/g, "\n$1");
  });
  ast.each((n, i) => {
    if (i > 0) n.raws.before = "\n\n";
  });
  ast.first && (ast.first.raws.before = "");
  return charset + header + ast.toString().trim() + "\n";
}

function header(name, version, copyrights) {
  return [
    "/**",
    ` * ${name} ${version}`,
    " * @license EUPL-1.2 (see LICENSE beside this file)",
    ...copyrights.map((c) => ` * ${c}`),
    " *",
    " * Purged by static/vendor/build.sh; run it again after changing templates.",
    " * Only the selectors and custom properties that Raadzaam's pages use are kept;",
    " * do not edit by hand.",
    " */",
    "",
  ].join("\n");
}

(async () => {
  // Pass 1: selectors only, to learn which utrecht rules stay.
  const pass1 = await purge(false, []);
  const needed = neededVariables(pass1.utrecht);
  // Pass 2: the same, now also dropping custom properties nothing uses; the
  // var() closure computed above is safelisted so that no chain is cut.
  const pass2 = await purge(true, [...needed].sort());

  // Checks: same rules as pass 1, and every needed custom property that the
  // packages declared is still declared.
  if (selectorsOf(pass1.utrecht) !== selectorsOf(pass2.utrecht)) throw new Error("pass 2 kept other utrecht rules than pass 1");
  if (selectorsOf(pass1.theme) !== selectorsOf(pass2.theme)) throw new Error("pass 2 kept other theme rules than pass 1");
  const before = new Set([...declared(sources.utrecht), ...declared(sources.theme)]);
  const after = new Set([...declared(pass2.utrecht), ...declared(pass2.theme)]);
  const lost = [...neededVariables(pass2.utrecht)].filter((v) => before.has(v) && !after.has(v));
  if (lost.length) throw new Error("custom properties in use were dropped: " + lost.join(" "));

  const copyrights = [...new Set(sources.utrecht.match(/Copyright \(c\)[^\n*]*/g) || [])].map((s) => s.trim()).sort();
  const out = {
    "utrecht/component-library.css": tidy(pass2.utrecht, header("@utrecht/component-library-css", utrechtVersion, copyrights)),
    "voorbeeld/theme.css": tidy(pass2.theme, header("@nl-design-system-unstable/voorbeeld-design-tokens", voorbeeldVersion, [])),
  };
  for (const [file, css] of Object.entries(out)) {
    const dest = path.join(outDir, file);
    fs.writeFileSync(dest + ".tmp", css);
    fs.renameSync(dest + ".tmp", dest);
    console.error(`build.sh: wrote static/vendor/${file} (${Buffer.byteLength(css)} bytes)`);
  }
  console.error(`build.sh: ${needed.size} custom properties in use`);
})().catch((e) => {
  console.error("build.sh: " + e.message);
  process.exit(1);
});
JS

node "$tmp/purge.cjs" "$root" "$vendor" "$utrecht_version" "$voorbeeld_version"
