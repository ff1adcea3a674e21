import type { GraphV1, StepTypeDef } from './types'

const obj = (properties: Record<string, unknown> = {}, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    on_failure: { type: 'string', enum: ['fail', 'continue', 'route'], default: 'fail' },
    join: { type: 'string', enum: ['all', 'any'], default: 'all' },
    ...properties,
  },
  required,
})

/** What map, loop and sub-workflow share: the child workflow, by name or chosen by an expression. */
const CHILD = {
  workflow: { type: 'string', minLength: 1, title: 'Workflow', description: "the child template's name, or a {{ expression }} choosing one of the allowed names", 'x-widget': 'template' },
  allowed_workflows: { type: 'array', title: 'Allowed workflows', items: { type: 'string', 'x-widget': 'template' }, uniqueItems: true, maxItems: 50 },
  version: { type: 'integer', minimum: 1, title: 'Version', description: 'pin a published version; empty: the latest published', 'x-widget': 'template-version' },
}

const RETRY = { type: 'object', title: 'Retry policy', additionalProperties: false, properties: { max_attempts: { type: 'integer', minimum: 1, maximum: 100, default: 1 }, initial_s: { type: 'number', minimum: 0, default: 1 } } }

/** What every worker type accepts (WORKER_PROPERTIES), in the server's order: before the type's own. */
export const WORKER = {
  retry: RETRY,
  timeout_s: { type: 'number', exclusiveMinimum: 0, title: 'Timeout (s)' },
  heartbeat_s: { type: 'number', exclusiveMinimum: 0, title: 'Heartbeat (s)' },
  wait: { type: 'boolean', default: true, title: 'Wait for it' },
}

/** A saga's undo (COMPENSATE_SCHEMA): a handler name, or one with its own retry policy. */
export const COMPENSATE = {
  title: 'Compensation handler',
  'x-widget': 'handler',
  oneOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', additionalProperties: false, required: ['handler'], properties: { handler: { type: 'string', minLength: 1 }, retry: RETRY } },
  ],
}

/** Step types as GET /api/v1/step-types/ describes them (trimmed). */
export const TYPES: Record<string, StepTypeDef> = {
  task: {
    type: 'task', label: 'Task', category: 'work', description: 'Runs a handler', inline: false, ports: ['out'], port_source: null,
    schema: obj({ ...WORKER, handler: { type: 'string', 'x-widget': 'handler' }, input: {}, compensate: COMPENSATE }, ['handler']),
  },
  condition: {
    type: 'condition', label: 'Condition', category: 'control', description: '', inline: true, ports: ['true', 'false'], port_source: null,
    schema: obj({ expression: { type: 'string', 'x-widget': 'expression' } }, ['expression']),
  },
  switch: {
    type: 'switch', label: 'Switch', category: 'control', description: '', inline: true, ports: ['default'], port_source: 'cases',
    schema: obj({ expression: { type: 'string', 'x-widget': 'expression' }, cases: { type: 'array', items: { type: 'string' } } }),
  },
  map: {
    type: 'map', label: 'Map (for each)', category: 'flow', description: 'Runs a handler or a child workflow once per item', inline: false, ports: ['out'], port_source: null,
    schema: {
      ...obj({ ...WORKER, items: { type: 'string', title: 'Items', 'x-widget': 'expression' }, handler: { type: 'string', title: 'Handler (per item)', 'x-widget': 'handler' }, compensate: COMPENSATE, ...CHILD, input: {}, concurrency: { type: 'integer', minimum: 1, default: 10 } }, ['items']),
      oneOf: [{ required: ['handler'] }, { required: ['workflow'] }],
    },
  },
  loop: {
    type: 'loop', label: 'Loop', category: 'flow', description: 'Runs a child workflow N times, or while a condition holds', inline: true, ports: ['out'], port_source: null,
    schema: {
      ...obj({ ...CHILD, input: {}, count: { type: 'integer', minimum: 1, title: 'Count' }, while: { type: 'string', title: 'While', 'x-widget': 'expression' }, max_iterations: { type: 'integer', minimum: 1 } }, ['workflow', 'max_iterations']),
      oneOf: [{ required: ['count'] }, { required: ['while'] }],
    },
  },
  subworkflow: {
    type: 'subworkflow', label: 'Sub-workflow', category: 'flow', description: 'Starts a child workflow', inline: true, ports: ['out'], port_source: null,
    schema: obj({ ...CHILD, input: {}, wait: { type: 'boolean', default: true } }, ['workflow']),
  },
  signal: {
    type: 'signal', label: 'Wait for signal', category: 'flow', description: 'Waits until a named signal is sent to the instance', inline: true, ports: ['out', 'timeout'], port_source: null,
    schema: obj({ name: { type: 'string', minLength: 1, maxLength: 100, title: 'Signal name', pattern: '^[A-Za-z0-9_.:-]{1,100}$' }, timeout_s: { type: 'number', exclusiveMinimum: 0, title: 'Timeout (s)' } }, ['name']),
  },
  end: { type: 'end', label: 'End', category: 'flow', description: '', inline: true, ports: [], port_source: null, schema: obj({ output: {} }) },
}

export const SAMPLE: GraphV1 = {
  version: 1,
  settings: { timeout_s: 300 },
  nodes: [
    { id: 'a', type: 'task', label: 'A', position: { x: 0, y: 0 }, config: { handler: 'demo.a' } },
    { id: 'check', type: 'condition', label: 'Check', position: { x: 200, y: 0 }, config: { expression: 'input.x > 1' } },
    { id: 'b', type: 'task', label: 'B', position: { x: 400, y: -80 }, config: { handler: 'demo.b' } },
    { id: 'done', type: 'end', label: 'Done', position: { x: 600, y: 0 }, config: {} },
  ],
  edges: [
    { id: 'e1', source: 'a', target: 'check', port: 'out' },
    { id: 'e2', source: 'check', target: 'b', port: 'true' },
    { id: 'e3', source: 'check', target: 'done', port: 'false' },
    { id: 'e4', source: 'b', target: 'done', port: 'out' },
  ],
}
