import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript'
import ts from 'typescript'

const FILE = 'api.d.ts'

/** A document's TypeScript declarations, and what the TypeScript 5 compiler finds wrong in them (empty when they compile). */
export async function typesOf(document: object): Promise<{ source: string; problems: string[] }> {
  const source = astToString(await openapiTS(JSON.parse(JSON.stringify(document)) as OpenAPI3))
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, types: [] }
  const host = ts.createCompilerHost(options)
  const { getSourceFile, readFile, fileExists } = host
  host.getSourceFile = (name, version, ...rest) => (name === FILE ? ts.createSourceFile(FILE, source, version) : getSourceFile(name, version, ...rest))
  host.readFile = (name) => (name === FILE ? source : readFile(name))
  host.fileExists = (name) => name === FILE || fileExists(name)
  const program = ts.createProgram([FILE], options, host)
  const problems = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
  return { source, problems }
}
