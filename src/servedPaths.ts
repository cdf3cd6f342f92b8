// The paths the gateway serves and the methods each takes, noted as its routes are registered, so that a path it
// serves asked with another method is answered 405 with `Allow` (RFC 9110) rather than taken for a path that does not
// exist, and a route added later gets its 405 without a second list to keep in step.
import type express from 'express';

export class ServedPaths {
  readonly #methods = new Map<string, Set<string>>();

  constructor(private readonly app: express.Express) {}

  /** Serves `path` to GET, and so to HEAD, which Express answers as GET without the body. */
  get(path: string, ...handlers: express.RequestHandler[]): void {
    this.app.get(path, ...handlers);
    this.#take(path, ['GET', 'HEAD']);
  }

  post(path: string, ...handlers: express.RequestHandler[]): void {
    this.app.post(path, ...handlers);
    this.#take(path, ['POST']);
  }

  /** Serves `path` with one chain to each of `methods` (GraphQL's GET and POST); any other goes on to its 405. */
  each(methods: readonly string[], path: string, ...handlers: express.RequestHandler[]): void {
    this.app.all(path, (req, _res, next) => (methods.includes(req.method) ? next() : next('route')), ...handlers);
    this.#take(path, methods);
  }

  /**
   * Registered after every route, so a path two patterns match is served by whichever takes the method: a request no
   * route took, at a path served, is refused with the methods it takes as `Allow` says them.
   */
  refuseOtherMethods(refuse: (req: express.Request, res: express.Response, allow: string) => void): void {
    for (const [path, methods] of this.#methods) {
      const allow = [...methods].join(', ');
      this.app.all(path, (req, res) => refuse(req, res, allow));
    }
  }

  #take(path: string, methods: readonly string[]): void {
    const taken = this.#methods.get(path) ?? new Set<string>();
    for (const method of methods) taken.add(method);
    this.#methods.set(path, taken);
  }
}
