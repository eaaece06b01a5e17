export { type BatchPart, type BatchResult, batch, parseBatch } from './batch.js';
export { BatchStream, type BatchStreamHandlers } from './batch-stream.js';
export type { Arg, Cmd, ExecCmd, ListCmd, RawCmd } from './cmd.js';
export {
  and,
  appendFile,
  exec,
  fromFile,
  mergeStderr,
  not,
  or,
  pipe,
  quietErr,
  raw,
  seq,
  sudo,
  toFile,
  withEnv,
} from './cmd.js';
export { quote, type RenderOptions, render, secretsOf } from './render.js';
