// Types of scripts/build.mjs, for the tests that import it.
export const SOURCE_DIRS: string[];
export function isAsset(file: string): boolean;
export function newestInput(root: string): number;
export function writeStamp(outDir: string, startedAt: number): void;
export function staleReason(root: string, outDir?: string): string | null;
export function copyAssets(root: string, outDir: string): string[];
export function pruneOrphans(root: string, outDir: string): string[];
export function build(root: string, opts?: { outDir?: string; log?: (line: string) => void }): void;
