// `devfocus hook install|uninstall`: a git post-checkout hook that hands branch changes to
// `devfocus hook run` in the background, so git never waits for the network.
//
// An existing post-checkout hook is kept as post-checkout.devfocus-orig: ours runs it first, with the
// same arguments and stdin, and exits with its status, so its behaviour is unchanged. Uninstall puts it back.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CliError } from "./errors.ts";

export const MARKER = "# devfocus-hook v1";
export const HOOK_NAME = "post-checkout";
export const ORIG_SUFFIX = ".devfocus-orig";

/** The hooks directory git uses here (core.hooksPath and worktrees included). */
export function hooksDir(cwd: string): string {
  let out: string;
  try {
    out = execFileSync("git", ["rev-parse", "--git-path", "hooks"], { cwd, stdio: ["ignore", "pipe", "pipe"], timeout: 5000 }).toString().trim();
  } catch {
    throw new CliError("Not inside a git repository.", { code: "NOT_A_REPO", hint: "Run this inside the repository whose branches map to tasks." });
  }
  return path.resolve(cwd, out);
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The hook script; `node` and `cli` are absolute paths, with `devfocus` on PATH as the fallback. */
export function hookScript({ node, cli }: { node: string; cli: string }): string {
  return `#!/bin/sh
${MARKER} — installed by \`devfocus hook install\`; \`devfocus hook uninstall\` removes it.
# On a branch checkout, records a context switch from the previous branch's task to the new one.
# It never blocks git: devfocus runs in the background, detached, silent, and this hook keeps the
# exit status of the hook it replaced (post-checkout${ORIG_SUFFIX}), which runs first, unchanged.
status=0
orig="$(dirname "$0")/${HOOK_NAME}${ORIG_SUFFIX}"
if [ -x "$orig" ]; then
  "$orig" "$@"
  status=$?
fi
if [ "$3" = "1" ] && [ -z "$DEVFOCUS_HOOK_DISABLE" ]; then
  to=$(git symbolic-ref --short -q HEAD 2>/dev/null)
  from=$(git rev-parse --symbolic-full-name '@{-1}' 2>/dev/null)
  case "$from" in refs/heads/*) from=\${from#refs/heads/} ;; *) from= ;; esac
  node=${shQuote(node)}
  cli=${shQuote(cli)}
  if [ -n "$to" ] && [ "$from" != "$to" ]; then
    if [ -x "$node" ] && [ -f "$cli" ]; then
      ("$node" "$cli" hook run --from "$from" --to "$to" </dev/null >/dev/null 2>&1 &)
    elif command -v devfocus >/dev/null 2>&1; then
      (devfocus hook run --from "$from" --to "$to" </dev/null >/dev/null 2>&1 &)
    fi
  fi
fi
exit $status
`;
}

const isOurs = (file: string) => {
  try {
    return fs.readFileSync(file, "utf8").includes(MARKER);
  } catch {
    return false;
  }
};

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

const present = (p: string) => fs.existsSync(p) || isSymlink(p);

export interface HookStatus {
  dir: string;
  file: string;
  installed: boolean;
  chained: string | null;
  other: boolean;
}

export function hookStatus(cwd: string): HookStatus {
  const dir = hooksDir(cwd);
  const file = path.join(dir, HOOK_NAME);
  const orig = file + ORIG_SUFFIX;
  return { dir, file, installed: isOurs(file), chained: fs.existsSync(orig) ? orig : null, other: fs.existsSync(file) && !isOurs(file) };
}

/** Installs (or refreshes) the hook; an existing foreign hook is moved aside and chained. */
export function installHook({ cwd, node, cli }: { cwd: string; node: string; cli: string }) {
  const dir = hooksDir(cwd);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, HOOK_NAME);
  const orig = file + ORIG_SUFFIX;
  let chained: string | null = null;
  let refreshed = false;
  if (present(file)) {
    if (isOurs(file)) {
      refreshed = true;
    } else {
      if (present(orig)) {
        throw new CliError(`Both ${file} and ${orig} exist and neither is ours; move one of them away first.`, { code: "HOOK_CONFLICT" });
      }
      fs.renameSync(file, orig); // keeps its mode, content and symlink-ness
      chained = orig;
    }
  }
  if (!chained && present(orig)) chained = orig;
  const tmp = `${file}.devfocus-tmp`;
  fs.writeFileSync(tmp, hookScript({ node, cli }), { mode: 0o755 });
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, file);
  return { file, chained, refreshed };
}

/** Removes our hook and puts the chained one back. */
export function uninstallHook({ cwd }: { cwd: string }) {
  const dir = hooksDir(cwd);
  const file = path.join(dir, HOOK_NAME);
  const orig = file + ORIG_SUFFIX;
  if (!isOurs(file)) {
    if (fs.existsSync(file)) throw new CliError(`${file} is not the devfocus hook; left as it is.`, { code: "HOOK_NOT_OURS" });
    return { file, removed: false, restored: null };
  }
  fs.unlinkSync(file);
  let restored: string | null = null;
  if (present(orig)) {
    fs.renameSync(orig, file);
    restored = file;
  }
  return { file, removed: true, restored };
}
