/** What every operator tool does with `--help` or `-h`, wherever it stands: its usage on stdout, and nothing else. */
export function askedForHelp(argv: readonly string[], usage: string): boolean {
  if (!argv.some((a) => a === '--help' || a === '-h')) return false
  console.log(usage)
  return true
}

/** For a tool that takes no arguments: `--help` prints its usage (exit 0), anything else is refused with it (exit 2). */
export function noArgumentsOrExit(argv: readonly string[], usage: string): void {
  if (askedForHelp(argv, usage)) process.exit(0)
  if (argv.length === 0) return
  console.error(`unexpected argument '${argv[0]}'\n${usage}`)
  process.exit(2)
}
