// Prompts: a line of text, and a password that is never echoed (raw mode on a TTY). When stdin is a
// pipe, answers are read from it line by line instead (`printf 'me@x.io\nsecret\n' | devfocus login`).
import { CliError } from "./errors.mjs";

let pipedLines = null;

async function readPipedLines(stdin) {
  if (pipedLines) return pipedLines;
  let text = "";
  stdin.setEncoding("utf8");
  for await (const chunk of stdin) text += chunk;
  pipedLines = text.split(/\r?\n/);
  return pipedLines;
}

async function nextPipedLine(stdin, what) {
  const lines = await readPipedLines(stdin);
  if (!lines.length || (lines.length === 1 && lines[0] === "")) throw new CliError(`No ${what} on standard input.`, { code: "NO_INPUT" });
  return lines.shift();
}

/** Reads one line, with a visible prompt on a TTY. */
export async function promptLine(question, { stdin = process.stdin, stderr = process.stderr } = {}) {
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
export async function promptPassword(question = "Password: ", { stdin = process.stdin, stderr = process.stderr } = {}) {
  if (!stdin.isTTY) return nextPipedLine(stdin, "password");
  // Raw mode (no echo) before the prompt shows, so nothing typed right after it can be echoed.
  stdin.setRawMode(true);
  stderr.write(question);
  stdin.resume();
  stdin.setEncoding("utf8");
  try {
    return await new Promise((resolve, reject) => {
      let value = "";
      const onData = (chunk) => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n" || ch === "\u0004") {
            stdin.off("data", onData);
            stderr.write("\n");
            return resolve(value);
          }
          if (ch === "\u0003") {
            stdin.off("data", onData);
            stderr.write("\n");
            return reject(Object.assign(new CliError("Cancelled.", { code: "CANCELLED" }), { exitCode: 130 }));
          }
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else if (ch === "\u0015") value = "";
          else if (ch >= " ") value += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}
