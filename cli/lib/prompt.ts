// Prompts: a line of text, and a password that is never echoed (raw mode on a TTY). When stdin is a
// pipe, answers are read from it line by line instead (`printf 'me@x.io\nsecret\n' | devfocus login`).
import { CliError } from "./errors.ts";

export interface Input extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
}

export interface PromptIo {
  stdin: Input;
  stderr: NodeJS.WritableStream;
}

let pipedLines: string[] | null = null;

async function readPipedLines(stdin: Input): Promise<string[]> {
  if (pipedLines) return pipedLines;
  let text = "";
  stdin.setEncoding("utf8");
  for await (const chunk of stdin) text += String(chunk);
  pipedLines = text.split(/\r?\n/);
  return pipedLines;
}

async function nextPipedLine(stdin: Input, what: string): Promise<string> {
  const lines = await readPipedLines(stdin);
  const line = lines.shift();
  if (line === undefined || (line === "" && !lines.length)) throw new CliError(`No ${what} on standard input.`, { code: "NO_INPUT" });
  return line;
}

/** Reads one line, with a visible prompt on a TTY. */
export async function promptLine(question: string, { stdin, stderr }: PromptIo): Promise<string> {
  if (!stdin.isTTY) return (await nextPipedLine(stdin, question.replace(/[:\s]+$/, "").toLowerCase())).trim();
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: stdin, output: stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** Reads a password without echoing it: raw mode on a TTY (backspace, Ctrl-U, Ctrl-C handled), else a piped line. */
export async function promptPassword(question: string, { stdin, stderr }: PromptIo): Promise<string> {
  if (!stdin.isTTY || !stdin.setRawMode) return nextPipedLine(stdin, "password");
  const setRawMode = stdin.setRawMode.bind(stdin);
  // Raw mode (no echo) before the prompt shows, so nothing typed right after it can be echoed.
  setRawMode(true);
  stderr.write(question);
  stdin.resume();
  stdin.setEncoding("utf8");
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = "";
      const onData = (chunk: string | Buffer) => {
        for (const ch of String(chunk)) {
          if (ch === "\r" || ch === "\n" || ch === "\u0004") {
            stdin.off("data", onData);
            stderr.write("\n");
            return resolve(value);
          }
          if (ch === "\u0003") {
            stdin.off("data", onData);
            stderr.write("\n");
            return reject(new CliError("Cancelled.", { code: "CANCELLED", exitCode: 130 }));
          }
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else if (ch === "\u0015") value = "";
          else if (ch >= " ") value += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    setRawMode(false);
    stdin.pause();
  }
}
