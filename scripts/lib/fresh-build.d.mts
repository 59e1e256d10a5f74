/** dist/src/cli.js when it is newer than every input of the build, else null. */
export function freshBuild(root: string): string | null;
