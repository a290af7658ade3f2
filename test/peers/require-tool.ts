// Tests that need a real peer fail (never skip) when it is missing, with the command that fixes it.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function missingToolMessage(name: string, debianPackage: string): string {
  return `${name} is not installed: run \`apt-get install ${debianPackage}\` (or bash .ci/run)`;
}

/** Returns the absolute path of an executable, or throws an Error that says how to install it. */
export function requireTool(name: string, debianPackage: string): string {
  if (isAbsolute(name)) {
    if (isExecutable(name)) return name;
    throw new Error(missingToolMessage(name, debianPackage));
  }
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  throw new Error(missingToolMessage(name, debianPackage));
}

/** Like requireTool for a file that is not a command (an Xorg driver, a firmware image). */
export function requireFile(path: string, debianPackage: string, what: string): string {
  try {
    accessSync(path, constants.R_OK);
    return path;
  } catch {
    throw new Error(missingToolMessage(`${what} (${path})`, debianPackage));
  }
}
