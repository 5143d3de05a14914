#!/usr/bin/env node
// Validates a Mermaid flowchart with Mermaid's own parser (npm `mermaid`, run under node with
// jsdom as the DOM Mermaid's sanitizer needs; no browser). Installed by .ci/mermaid-check.sh
// into .ci/node/mermaid.
//
// Reads the diagram from stdin. Exit 0: it parses as a flowchart; stdout is what Mermaid read,
// as JSON: {"type", "nodes": [{"id", "label"}], "edges": [{"from", "to", "label"}]}, labels as a
// reader sees them (Mermaid's entity codes like #quot; decoded, HTML reduced to its text).
// Exit 1: it does not parse, or is not a flowchart; stderr has Mermaid's error.
// Exit 2: the validator itself cannot run (mermaid or jsdom not installed).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(new URL('./node/mermaid/', import.meta.url));
let JSDOM, mermaid;
try {
  ({ JSDOM } = require('jsdom'));
  const dom = new JSDOM('');
  // Mermaid sanitizes labels with DOMPurify, which needs a window when Mermaid loads.
  globalThis.window = dom.window;
  globalThis.document = dom.window.document;
  ({ default: mermaid } = await import(pathToFileURL(require.resolve('mermaid')).href));
} catch (e) {
  process.stderr.write(
    `mermaid-validate: cannot load mermaid and jsdom from .ci/node/mermaid (run .ci/mermaid-check.sh): ${e.message}\n`,
  );
  process.exit(2);
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString('utf8');

// What a reader sees: Mermaid swaps its entity codes (#quot;, #35;) for placeholders before
// parsing and turns them into HTML entities when rendering (decodeEntities in mermaidAPI); the
// label is then HTML.
const shown = (label) =>
  JSDOM.fragment(
    String(label ?? '')
      .replace(/ﬂ°°/g, '&#')
      .replace(/ﬂ°/g, '&')
      .replace(/¶ß/g, ';'),
  ).textContent;

try {
  // parse() registers the diagram types and throws Mermaid's parse error.
  const { diagramType } = await mermaid.parse(text);
  if (!diagramType.startsWith('flowchart')) {
    throw new Error(`not a flowchart: Mermaid read a \`${diagramType}\` diagram`);
  }
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const nodes = [...diagram.db.getVertices().values()].map((v) => ({
    id: v.id,
    label: shown(v.text),
  }));
  const edges = diagram.db.getEdges().map((e) => ({
    from: e.start,
    to: e.end,
    label: shown(e.text),
  }));
  process.stdout.write(`${JSON.stringify({ type: diagramType, nodes, edges }, null, 2)}\n`);
} catch (e) {
  process.stderr.write(`${e?.message ?? e}\n`);
  process.exit(1);
}
