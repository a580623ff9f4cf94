#!/usr/bin/env node
// Layering check: the architecture's import boundaries (job/ API, rpc/ and generated/, master/ vs taskmanager/ through
// *Gateway.ts, task-thread code, kafkajs and LevelDB homes, no cycles), enforced over src/**/*.ts.
//
//   node scripts/check-layering.mjs [root]      root defaults to the repository root; tests point it at fixture trees
//
// Prints one line per violation, `<file>:<line>: <rule id> <what is wrong>`, then a summary, and exits 1; exits 0
// with `layering ok (N modules checked)` when there is none. Imports are read with the TypeScript parser:
// import/export declarations (`import type`, `export ... from`), `import x = require()`, dynamic import() of a string
// literal and `import('…')` types. Relative specifiers resolve to files ('./x.js' → './x.ts', a directory → its
// index.ts); anything else is a package, by name.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

// ---------------------------------------------------------------------------------------------------------------------
// The rules. Each import rule looks at one import (see `readImports` for its shape) and returns what is wrong with it,
// or nothing. R6 (cycles) looks at the whole graph and is `checkCycles` below.

const TASK_THREAD_DIRS = ['src/streaming/', 'src/state/', 'src/connectors/'];
const THREAD_PROTOCOL = 'src/taskmanager/task/thread-protocol.ts';

/** @type {Record<string, {title: string, check: (imp: Import) => string | undefined}>} */
export const IMPORT_RULES = {
  R1: {
    title: 'src/job/** (the DataStream API) imports only src/job/** and node:* built-ins',
    check(imp) {
      if (!under(imp.from, 'src/job/')) return undefined;
      if (imp.kind === 'builtin' || (imp.kind === 'module' && under(imp.target, 'src/job/'))) return undefined;
      return `the DataStream API imports only src/job/** and node:* built-ins, not ${describe(imp)}`;
    },
  },
  R2: {
    title: 'only modules in an rpc/ directory import src/generated/**',
    check(imp) {
      if (imp.kind !== 'module' || !under(imp.target, 'src/generated/')) return undefined;
      if (under(imp.from, 'src/generated/') || inRpcDirectory(imp.from)) return undefined;
      return `only modules in an rpc/ directory import generated code, not ${imp.target}`;
    },
  },
  R3: {
    title: 'src/master/** and src/taskmanager/** import each other only as `import type` of a *Gateway.ts',
    check(imp) {
      if (imp.kind !== 'module') return undefined;
      const crosses =
        (under(imp.from, 'src/master/') && under(imp.target, 'src/taskmanager/')) ||
        (under(imp.from, 'src/taskmanager/') && under(imp.target, 'src/master/'));
      if (!crosses) return undefined;
      const gateway = basename(imp.target).endsWith('Gateway.ts');
      if (gateway && imp.typeOnly) return undefined;
      const side = under(imp.from, 'src/master/') ? 'master' : 'taskmanager';
      const other = side === 'master' ? 'taskmanager' : 'master';
      return gateway
        ? `${side} imports the gateway ${imp.target} as a value; use \`import type\``
        : `${side} imports ${other} code ${imp.target}${imp.typeOnly ? ' (even type-only)' : ''}; only \`import type\` of a *Gateway.ts crosses`;
    },
  },
  R4: {
    title: 'task-thread code imports no master/, rpc/, generated/, @grpc/grpc-js; of taskmanager/ only task/thread-protocol.ts',
    check(imp) {
      if (!TASK_THREAD_DIRS.some((dir) => under(imp.from, dir))) return undefined;
      if (imp.kind === 'package' && imp.pkg === '@grpc/grpc-js') return 'task-thread code imports @grpc/grpc-js';
      if (imp.kind !== 'module') return undefined;
      for (const dir of ['src/master/', 'src/rpc/', 'src/generated/']) {
        if (under(imp.target, dir)) return `task-thread code imports ${imp.target} (nothing of ${dir}**)`;
      }
      if (under(imp.target, 'src/taskmanager/') && imp.target !== THREAD_PROTOCOL) {
        return `task-thread code imports ${imp.target}; of src/taskmanager/** only ${THREAD_PROTOCOL}`;
      }
      return undefined;
    },
  },
  R5: {
    title: 'kafkajs only in src/connectors/kafka/kafkajs.ts (it installs the overrides of kafkajs first); classic-level only under src/state/**',
    check(imp) {
      if (imp.kind !== 'package') return undefined;
      const allowed = PACKAGE_HOMES[imp.pkg];
      if (!allowed || allowed.some((dir) => under(imp.from, dir))) return undefined;
      return `${imp.pkg} is imported only ${allowed.map((home) => (home.endsWith('/') ? `under ${home}**` : `in ${home}`)).join(' and ')}`;
    },
  },
};

const PACKAGE_HOMES = {
  kafkajs: ['src/connectors/kafka/kafkajs.ts'],
  'classic-level': ['src/state/'],
};

export const CYCLE_RULE = { R6: { title: 'no import cycles among src modules (runtime imports; type-only ones are erased)' } };

// ---------------------------------------------------------------------------------------------------------------------
// Checking a tree.

/**
 * @typedef {{
 *   from: string, line: number, specifier: string, typeOnly: boolean, dynamic: boolean,
 *   kind: 'module' | 'builtin' | 'package', target?: string, pkg?: string,
 * }} Import
 * `from` and `target` are paths relative to the root with '/' separators ('src/job/DataStream.ts'); `target` is set for
 * relative specifiers (kind 'module'), `pkg` (the package name) for packages.
 * @typedef {{ file: string, line: number, rule: string, message: string }} Violation
 */

/**
 * Checks the tree at `root` (a directory holding src/). Returns the number of modules checked and the violations,
 * sorted by file, line and rule.
 * @param {string} root
 * @returns {{ modules: number, violations: Violation[] }}
 */
export function checkLayering(root) {
  const srcDir = join(root, 'src');
  if (!existsSync(srcDir) || !statSync(srcDir).isDirectory()) throw new Error(`no src/ directory under ${root}`);
  const files = listTypeScriptFiles(srcDir).map((file) => toPosix(relative(root, file)));
  const imports = files.flatMap((file) => readImports(root, file));

  /** @type {Violation[]} */
  const violations = [];
  for (const imp of imports) {
    for (const [rule, { check }] of Object.entries(IMPORT_RULES)) {
      const message = check(imp);
      if (message) violations.push({ file: imp.from, line: imp.line, rule, message });
    }
  }
  violations.push(...checkCycles(files, imports));
  violations.sort((a, b) => compare(a.file, b.file) || a.line - b.line || compare(a.rule, b.rule));
  return { modules: files.length, violations };
}

/** @param {Violation} v */
export function formatViolation(v) {
  return `${v.file}:${v.line}: ${v.rule} ${v.message}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// R6: cycles. Runtime edges only (type-only imports and `import('…')` types are erased). The graph is first split into
// strongly connected components (a cycle never leaves one); inside each, every elementary cycle is found once, from its
// smallest file (by path), walking only through files of the component that sort after it. A cycle is reported at
// that file, on the line of its import of the next file in the chain. The walk is bounded (MAX_CYCLES, MAX_STEPS) so a
// tangle of thousands of cycles ends with a note rather than never.

const MAX_CYCLES = 200;
const MAX_STEPS = 1_000_000;

/**
 * @param {string[]} files
 * @param {Import[]} imports
 * @returns {Violation[]}
 */
function checkCycles(files, imports) {
  const edges = runtimeEdges(files, imports);
  /** @type {string[][]} */
  const cycles = [];
  let steps = 0;
  let truncated = false;

  for (const component of stronglyConnectedComponents(edges)) {
    const members = new Set(component);
    for (const start of [...component].sort()) {
      const path = [start];
      const walk = (file) => {
        for (const next of [...edges.get(file).keys()].sort()) {
          if (cycles.length >= MAX_CYCLES || ++steps > MAX_STEPS) return void (truncated = true);
          if (next === start) cycles.push([...path, start]);
          else if (members.has(next) && next > start && !path.includes(next)) {
            path.push(next);
            walk(next);
            path.pop();
          }
        }
      };
      walk(start);
    }
  }

  const violations = cycles.map((chain) => ({
    file: chain[0],
    line: edges.get(chain[0]).get(chain[1]),
    rule: 'R6',
    message: `import cycle: ${chain.join(' → ')}`,
  }));
  if (truncated) {
    const at = cycles[0] ?? [files[0]];
    violations.push({ file: at[0], line: 1, rule: 'R6', message: `stopped looking after ${cycles.length} cycles; there are more` });
  }
  return violations;
}

/** file → (imported src file → line of its first runtime import), for every file. */
function runtimeEdges(files, imports) {
  /** @type {Map<string, Map<string, number>>} */
  const edges = new Map(files.map((file) => [file, new Map()]));
  for (const imp of imports) {
    if (imp.typeOnly || imp.kind !== 'module' || !edges.has(imp.target)) continue;
    const out = edges.get(imp.from);
    if (!out.has(imp.target)) out.set(imp.target, imp.line);
  }
  return edges;
}

/** Tarjan's algorithm; keeps only components that can hold a cycle (two files or more, or a file importing itself). */
function stronglyConnectedComponents(edges) {
  const index = new Map();
  const lowLink = new Map();
  const stack = [];
  const onStack = new Set();
  /** @type {string[][]} */
  const components = [];
  const connect = (file) => {
    index.set(file, index.size);
    lowLink.set(file, index.get(file));
    stack.push(file);
    onStack.add(file);
    for (const next of edges.get(file).keys()) {
      if (!index.has(next)) {
        connect(next);
        lowLink.set(file, Math.min(lowLink.get(file), lowLink.get(next)));
      } else if (onStack.has(next)) {
        lowLink.set(file, Math.min(lowLink.get(file), index.get(next)));
      }
    }
    if (lowLink.get(file) !== index.get(file)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || edges.get(file).has(file)) components.push(component);
  };
  for (const file of edges.keys()) if (!index.has(file)) connect(file);
  return components;
}

// ---------------------------------------------------------------------------------------------------------------------
// Reading imports.

/**
 * @param {string} root
 * @param {string} file root-relative, '/' separators
 * @returns {Import[]}
 */
function readImports(root, file) {
  const text = readFileSync(join(root, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const declarationFile = file.endsWith('.d.ts');
  /** @type {Import[]} */
  const found = [];
  const add = (node, specifier, typeOnly, dynamic = false) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push({ from: file, line, specifier, typeOnly: typeOnly || declarationFile, dynamic, ...classify(root, file, specifier) });
  };

  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node, node.moduleSpecifier.text, isTypeOnlyImport(node.importClause));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node, node.moduleSpecifier.text, isTypeOnlyExport(node));
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      add(node, node.moduleReference.expression.text, node.isTypeOnly);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length > 0 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      add(node, node.arguments[0].text, false, true);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node, node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `import type …`, or `import { type A, type B }` (every named binding `type`, no default or namespace import). */
function isTypeOnlyImport(clause) {
  if (!clause) return false; // `import './x.js'` runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name || !clause.namedBindings || !ts.isNamedImports(clause.namedBindings)) return false;
  const elements = clause.namedBindings.elements;
  return elements.length > 0 && elements.every((element) => element.isTypeOnly);
}

/** `export type … from`, or `export { type A } from` (every named export `type`). */
function isTypeOnlyExport(node) {
  if (node.isTypeOnly) return true;
  if (!node.exportClause || !ts.isNamedExports(node.exportClause)) return false;
  const elements = node.exportClause.elements;
  return elements.length > 0 && elements.every((element) => element.isTypeOnly);
}

/** What a specifier names: a file of the tree (kind 'module'), a Node built-in, or a package. */
function classify(root, file, specifier) {
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') {
    return { kind: 'module', target: resolveRelative(root, file, specifier) };
  }
  if (isBuiltin(specifier)) return { kind: 'builtin' };
  const parts = specifier.split('/');
  return { kind: 'package', pkg: specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0] };
}

/**
 * './x.js' → 'x.ts' (also .mjs → .mts, .cjs → .cts, .ts as written), no extension → 'x.ts' or 'x/index.ts'. When no
 * file exists the TypeScript name is kept anyway, so the rules still judge the import by where it points.
 */
function resolveRelative(root, file, specifier) {
  const base = join(root, dirname(file), specifier);
  const candidates = [];
  const swapped = base.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts').replace(/\.cjs$/, '.cts');
  if (swapped !== base) candidates.push(swapped);
  candidates.push(base, `${base}.ts`, join(base, 'index.ts'));
  const hit = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  return toPosix(relative(root, hit ?? candidates[0]));
}

function listTypeScriptFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.') && entry.name !== 'node_modules')
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return listTypeScriptFiles(path);
      return entry.isFile() && entry.name.endsWith('.ts') ? [path] : [];
    })
    .sort();
}

// ---------------------------------------------------------------------------------------------------------------------
// Small helpers.

function under(path, dir) {
  return path !== undefined && path.startsWith(dir);
}

/** src/rpc/**, or any src/**\/rpc/**: a directory named rpc somewhere above the file, inside src/. */
function inRpcDirectory(path) {
  return path.split('/').slice(1, -1).includes('rpc');
}

function describe(imp) {
  return imp.kind === 'module' ? imp.target : imp.kind === 'package' ? `the package ${imp.pkg}` : imp.specifier;
}

function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toPosix(path) {
  return path.split(sep).join('/');
}

// ---------------------------------------------------------------------------------------------------------------------
// Command line.

function main(argv) {
  const root = resolve(argv[0] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  let result;
  try {
    result = checkLayering(root);
  } catch (error) {
    console.error(`check-layering: ${error.message}`);
    return 2;
  }
  const { modules, violations } = result;
  if (violations.length === 0) {
    console.log(`layering ok (${modules} modules checked)`);
    return 0;
  }
  for (const violation of violations) console.log(formatViolation(violation));
  const counts = new Map();
  for (const { rule } of violations) counts.set(rule, (counts.get(rule) ?? 0) + 1);
  const perRule = [...counts].sort().map(([rule, count]) => `${rule}: ${count}`).join(', ');
  console.log(`\nlayering: ${violations.length} violation${violations.length === 1 ? '' : 's'} (${perRule}) in ${modules} modules checked`);
  for (const [rule, { title }] of Object.entries({ ...IMPORT_RULES, ...CYCLE_RULE })) {
    if (violations.some((v) => v.rule === rule)) console.log(`  ${rule} ${title}`);
  }
  return 1;
}

function invokedDirectly() {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) process.exitCode = main(process.argv.slice(2));
