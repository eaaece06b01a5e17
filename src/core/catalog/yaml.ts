import { parseDocument } from 'yaml';

/** YAML → data; YAML errors carry the line. */
export function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message.split('\n')[0]);
  return doc.toJS({ maxAliasCount: 100 });
}
