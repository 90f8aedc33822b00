// Mermaid's own parser as a long-running process, for the test suite.
//
// Reads one JSON string (a diagram's text) per line on stdin and answers one JSON line per
// input on stdout: {"ok": true, "type": ..., "states": {...}, "relations": [...]} when
// mermaid.parse() accepts the text, {"ok": false, "error": "..."} when it throws. For state
// diagrams the answer also carries what the parser stored: each state's descriptions and each
// relation's title, so that tests can check that labels survive escaping.
//
// Mermaid expects a browser; jsdom provides the window and document its sanitiser needs.
import { createInterface } from "node:readline";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!DOCTYPE html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

// Mermaid logs parse errors on the console; stdout carries only the answers.
console.error = () => {};
console.warn = () => {};
console.log = () => {};
console.info = () => {};
console.debug = () => {};

function write(answer) {
  process.stdout.write(JSON.stringify(answer) + "\n");
}

async function stateData(text) {
  // mermaid.parse() keeps the parsed diagram to itself; getDiagramFromText() runs the same
  // preprocessing and parser again and returns the diagram with its db.
  const api = mermaid.mermaidAPI;
  if (!api || typeof api.getDiagramFromText !== "function") return {};
  const diagram = await api.getDiagramFromText(text);
  const db = diagram.db;
  if (typeof db.getStates !== "function") return {};
  const states = {};
  for (const [id, state] of db.getStates()) {
    states[id] = state.descriptions ?? [];
  }
  const relations = (db.getRelations?.() ?? []).map((r) => [
    r.id1,
    r.id2,
    r.relationTitle ?? null,
  ]);
  return { states, relations };
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let text;
  try {
    text = JSON.parse(line);
  } catch (error) {
    write({ ok: false, error: `not a JSON string: ${error.message}` });
    continue;
  }
  try {
    const result = await mermaid.parse(text);
    write({ ok: true, type: result.diagramType, ...(await stateData(text)) });
  } catch (error) {
    write({ ok: false, error: String(error?.message ?? error) });
  }
}
