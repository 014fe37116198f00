/** Errors raised while starting the local AWS stand-ins. */

/** The `java` executable needed by DynamoDB Local could not be started. */
export class JavaNotFoundError extends Error {
  constructor(
    public readonly command: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Java was not found (tried "${command}"). DynamoDB Local needs a Java 17+ runtime: install one ` +
        `(e.g. "apt-get install openjdk-17-jre-headless" or "brew install openjdk@17"), then put "java" on ` +
        `the PATH or set JAVA_HOME.`,
      options,
    );
    this.name = 'JavaNotFoundError';
  }
}

/** The requested port is already taken by another process. */
export class PortInUseError extends Error {
  constructor(
    public readonly service: string,
    public readonly port: number,
    options?: { cause?: unknown },
  ) {
    super(
      `Cannot start ${service}: port ${port} is already in use. Stop the other process or choose another port (0 picks a free one).`,
      options,
    );
    this.name = 'PortInUseError';
  }
}

/** A local server started but did not become ready in time, or exited during start-up. */
export class LocalServerStartError extends Error {
  constructor(
    public readonly service: string,
    message: string,
    public readonly output?: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot start ${service}: ${message}`, options);
    this.name = 'LocalServerStartError';
  }
}
