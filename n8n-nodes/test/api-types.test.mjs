import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { danglingSchemaRefs, generate, SPEC, TARGET } from '../scripts/generate-api-types.mjs';

const root = new URL('../', import.meta.url).pathname;
const API = join(root, 'nodes', 'shared', 'api.ts');

describe('generated API types', () => {
	const haveSpec = existsSync(SPEC);
	it(
		'nodes/shared/api-types.ts matches openapi/openapi.json (run `npm run generate:api-types` if not)',
		{ skip: haveSpec ? false : `no ${SPEC} yet: the core has not committed its OpenAPI document` },
		async () => {
			assert.ok(existsSync(TARGET), 'api-types.ts has been generated');
			const fresh = await generate(SPEC);
			const committed = readFileSync(TARGET, 'utf8');
			assert.ok(
				fresh === committed,
				'api-types.ts is stale: run `npm run generate:api-types` in n8n-nodes/',
			);
		},
	);
	const dangling = haveSpec ? danglingSchemaRefs(JSON.parse(readFileSync(SPEC, 'utf8'))) : [];
	it(
		'openapi.json defines every schema it references',
		{
			skip: haveSpec ? false : 'no OpenAPI document yet',
			todo:
				dangling.length > 0 ? `the core must add to openapi.json: ${dangling.join(', ')}` : false,
		},
		() => {
			assert.deepEqual(dangling, []);
		},
	);
});

/**
 * The API shapes the nodes use: every named declaration in the TypeScript sources, found with the
 * TypeScript parser. `api.ts` may only alias generated schemas (`Schemas['X']`, and parts of them);
 * nowhere may an interface or object type spell out the properties of a schema in openapi.json.
 */
function declarations() {
	const found = [];
	const walkDir = (dir) => {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) walkDir(path);
			else if (entry.name.endsWith('.ts') && path !== TARGET) found.push(path);
		}
	};
	for (const dir of ['nodes', 'credentials']) walkDir(join(root, dir));
	return found.map((path) => ({
		path,
		file: ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true),
	}));
}

/** Property names of every interface and object type literal in a file, with its name. */
function objectTypes(file) {
	const out = [];
	const visit = (node, name) => {
		if (ts.isInterfaceDeclaration(node) || ts.isTypeLiteralNode(node)) {
			const props = node.members
				.filter((m) => ts.isPropertySignature(m) && m.name)
				.map((m) => m.name.getText(file).replace(/^['"]|['"]$/g, ''));
			out.push({ name: ts.isInterfaceDeclaration(node) ? node.name.text : name, props });
		}
		const childName = ts.isTypeAliasDeclaration(node) ? node.name.text : name;
		ts.forEachChild(node, (child) => visit(child, childName));
	};
	visit(file, '(anonymous)');
	return out;
}

describe('the nodes use the generated API types, not hand-written copies', () => {
	const haveSpec = existsSync(SPEC);
	const schemas = haveSpec ? JSON.parse(readFileSync(SPEC, 'utf8')).components.schemas : {};
	const apiFile = ts.createSourceFile(API, readFileSync(API, 'utf8'), ts.ScriptTarget.Latest, true);

	it(
		'api.ts only names generated schemas: no interfaces, object types or literal unions of its own',
		{ skip: !haveSpec },
		() => {
			const problems = [];
			const aliases = new Set();
			for (const statement of apiFile.statements) {
				if (ts.isImportDeclaration(statement)) continue;
				if (!ts.isTypeAliasDeclaration(statement)) {
					problems.push(
						`${ts.SyntaxKind[statement.kind]} at line ${apiFile.getLineAndCharacterOfPosition(statement.getStart()).line + 1}`,
					);
					continue;
				}
				const name = statement.name.text;
				let usesSchema = false;
				const visit = (node, asIndex = false) => {
					if (ts.isTypeLiteralNode(node) || ts.isMappedTypeNode(node)) {
						problems.push(`${name} spells out an object type`);
						return;
					}
					if (ts.isLiteralTypeNode(node) && !asIndex) {
						problems.push(`${name} spells out the literal ${node.getText(apiFile)}`);
						return;
					}
					if (ts.isIndexedAccessTypeNode(node)) {
						const object = node.objectType.getText(apiFile);
						const index = node.indexType.getText(apiFile).replace(/^['"]|['"]$/g, '');
						if (object === 'Schemas') {
							usesSchema = true;
							if (!(index in schemas))
								problems.push(`${name}: openapi.json has no schema ${index}`);
						}
						visit(node.objectType);
						visit(node.indexType, true);
						return;
					}
					if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
						// Another alias of this file counts as generated if it is one.
						if (node.typeName.text === 'Schemas' || aliases.has(node.typeName.text))
							usesSchema = true;
					}
					ts.forEachChild(node, (child) => visit(child));
				};
				if (name !== 'Schemas') visit(statement.type);
				else usesSchema = statement.type.getText(apiFile) === "components['schemas']";
				if (!usesSchema) problems.push(`${name} does not come from the generated schemas`);
				aliases.add(name);
			}
			assert.deepEqual(problems, []);
		},
	);

	it(
		'no interface or object type in nodes/ or credentials/ repeats the properties of a schema in openapi.json',
		{ skip: !haveSpec },
		() => {
			const copies = [];
			for (const { path, file } of declarations()) {
				for (const { name, props } of objectTypes(file)) {
					if (props.length < 2) continue;
					for (const [schema, definition] of Object.entries(schemas)) {
						const known = Object.keys(definition.properties ?? {});
						const required = definition.required ?? [];
						if (props.every((p) => known.includes(p)) && required.every((p) => props.includes(p))) {
							copies.push(
								`${relative(root, path)}: ${name} {${props.join(', ')}} is Schemas['${schema}']`,
							);
						}
					}
				}
			}
			assert.deepEqual(copies, []);
		},
	);
});
