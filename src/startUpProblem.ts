// Start-up problems a person fixes in the settings: the message says what is wrong and what to do, and `npm start`
// prints it alone, without a stack trace (src/main.ts).

export class StartUpProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartUpProblem';
  }
}

/** A port a listener needs is held by another program. Keeps the socket error's code, which callers test for. */
export class PortTaken extends StartUpProblem {
  readonly code = 'EADDRINUSE';

  constructor(setting: string, port: number, host: string, listener: string, whatToDo: string) {
    super(`${setting}: port ${port} on ${host} is already in use by another program, so ${listener} cannot start. ${whatToDo}`);
    this.name = 'PortTaken';
  }
}

/** A listen error as a person should read it: a taken port named by its setting, anything else as it came. */
export function listenRefused(error: Error, taken: () => PortTaken): Error {
  return (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? taken() : error;
}
