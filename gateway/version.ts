import { readFileSync } from 'node:fs';

// Read from package.json at run time so that the version stored with every run
// is the one the user actually installed, with no build step to keep in sync.
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'evalgate' && pkg.version) return pkg.version;
    } catch {
      // try the next location: source and dist sit at different depths
    }
  }
  return '0.0.0';
}

/** The evalgate package version. */
export const evalgateVersion: string = readVersion();
