/** What every operator tool does with `--help` or `-h`, wherever it stands: its usage on stdout, and nothing else. */
export function askedForHelp(argv: readonly string[], usage: string): boolean {
  if (!argv.some((a) => a === '--help' || a === '-h')) return false
  console.log(usage)
  return true
}
