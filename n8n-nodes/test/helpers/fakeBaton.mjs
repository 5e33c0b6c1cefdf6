// A small real HTTP server standing in for Baton in unit tests: it records every request and
// answers from a route table the test sets up. Binds to 127.0.0.1 on a free port.
import { createServer } from 'node:http';

export async function startFakeBaton() {
	const requests = [];
	const routes = [];
	const server = createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			const url = new URL(req.url, 'http://127.0.0.1');
			const entry = {
				method: req.method,
				path: url.pathname,
				rawPath: req.url.split('?')[0],
				query: Object.fromEntries(url.searchParams),
				headers: req.headers,
				body: raw ? JSON.parse(raw) : undefined,
			};
			requests.push(entry);
			const route = routes.find(
				(r) =>
					r.method === req.method &&
					(typeof r.path === 'string' ? r.path === entry.rawPath : r.path.test(entry.rawPath)),
			);
			if (!route) {
				res.writeHead(404, { 'content-type': 'application/problem+json' });
				res.end(
					JSON.stringify({
						type: '/problems/not-found',
						title: 'Not Found',
						status: 404,
						detail: `no route ${req.method} ${entry.rawPath}`,
					}),
				);
				return;
			}
			const { status = 200, body } = route.handler(entry);
			const type = status >= 400 ? 'application/problem+json' : 'application/json';
			res.writeHead(status, body === undefined ? {} : { 'content-type': type });
			res.end(body === undefined ? '' : JSON.stringify(body));
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address();
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		on(method, path, handler) {
			routes.unshift({
				method,
				path,
				handler: typeof handler === 'function' ? handler : () => handler,
			});
		},
		reset() {
			requests.length = 0;
			routes.length = 0;
		},
		close: () => new Promise((resolve) => server.close(resolve)),
	};
}
