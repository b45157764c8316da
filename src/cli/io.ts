// Where a command reads and writes. Commands take a CliIo instead of touching `process`
// so tests can run them in-process with fake streams and a fake terminal.

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  isTTY: boolean;
}

/** The real process. Interactive only when someone can both see a prompt (stderr) and
 * answer it (stdin); a pipe on either side means a script, which must pass flags. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    isTTY: process.stdin.isTTY === true && process.stderr.isTTY === true,
  };
}
