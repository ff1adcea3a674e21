import type { GraphV1, Json, JsonSchema } from '../graph/types'

export interface ApiFieldError {
  field?: string | null
  code?: string
  message: string
  node?: string | null
  nodes?: string[]
}

export interface Handler {
  name: string
  /** One line: what it does ("" when the handler has none). */
  description: string
  /** JSON Schema of the object the handler reads, when it declares one (absent from older servers). */
  input_schema?: JsonSchema | null
}

export interface TemplateInfo {
  name: string
  title: string
  description: string
  tags: string[]
  example_input: Json
  owner: string | null
  latest_version: number | null
  has_draft: boolean
  /** There is a draft that behaves differently from the latest published version. */
  changed_since_published?: boolean
  instance_count: number
}

export interface Draft {
  number: number
  graph: GraphV1
  updated_at: string
  revision?: number | null
  /** The draft behaves differently from the latest published version (or there is none). */
  changed_since_published?: boolean
}

export interface ConflictCurrent {
  revision: number | null
  updated_at: string | null
  updated_by: string | null
}

export interface ValidationResult {
  valid: boolean
  errors: ApiFieldError[]
  plan: { batches: string[][] } | null
}

export interface VersionInfo {
  number: number
  status: string
  checksum: string
  change_note: string
  created_at: string
  published_at: string | null
  published_by: string | null
}

export interface VersionDetail extends VersionInfo {
  graph: GraphV1
}

export interface Page<T> {
  count: number
  next: string | null
  previous: string | null
  results: T[]
}

/** A cursor page (`GET instances/{id}/steps/`): follow `next` until it is null; there is no total. */
export interface CursorPage<T> {
  next: string | null
  results: T[]
}

export interface StepRun {
  id?: number
  node: string
  type: string
  item_key?: string | null
  attempt: number
  status: string
  input?: Json
  output: Json
  ports?: string[] | null
  error: { type: string; message: string; traceback?: string } | null
  scheduled_at?: string | null
  started_at: string | null
  finished_at: string | null
  duration_ms: number | null
  /** The worker that ran it ("" until one claims it). */
  worker?: string
  /** The instance this attempt started (a sub-workflow, a loop iteration, a map item's workflow). */
  child?: string | null
  /** An attempt of the node's compensate handler (saga), not of the node itself. */
  compensation?: boolean
  /** The details the handler reported with its last heartbeat (e.g. {"progress": 0.4}). */
  heartbeat?: Json
  heartbeat_at?: string | null
}

export interface InstanceDetail {
  id: string
  template: string
  version: number
  status: string
  input: Json
  output: Json
  error: Json
  created_at?: string
  started_at?: string | null
  finished_at?: string | null
  duration_s?: number | null
  /** The seq of its latest event: a follower knows when it has seen them all. */
  last_seq?: number
  /** Every attempt; when `steps_truncated`, the latest attempt of each (node, item), at most 500. */
  steps: StepRun[]
  /** Per node, always whole (absent from older servers). */
  step_counts?: StepCount[]
  /** `steps` leaves attempts out: page through `instances/{id}/steps/` for them. */
  steps_truncated?: boolean
  /** Whether the current user may cancel, retry, pause, resume or signal it (operators); absent from older servers. */
  can_control?: boolean
  /** The names of the queries its graph declares (`settings.queries`). */
  queries?: string[]
  /** Compensation under way or done (on_failure: compensate). */
  saga?: Saga | null
  /** The instance and step that started it, when a step did. */
  parent?: { instance: string; step: string } | null
  /** Instances its steps started (the first 50). */
  children?: { id: string; status: string; step: string; item_key?: string }[]
  /** The instances above it, root first, each with its step that started the next one down. */
  ancestors?: Ancestor[]
  /** How many instances its steps started (`instances/?parent={id}` lists them all). */
  children_count?: number
}

export interface Ancestor {
  instance: string
  template: string
  status: string
  /** The node of its step that started the next instance down, and that step's item. */
  step: string
  item_key: string
}

export interface StepCount {
  node: string
  /** Every attempt of the node, retries included. */
  attempts: number
  /** Its items (a map's items, a loop's iterations: not the node's own step); 1 for a node that does not run per item. */
  items: number
  /** Status -> how many of those items' latest attempt has it. */
  by_status: Record<string, number>
}

export type Mock = { output: Json } | { fail: { type: string; message: string } }

export interface Saga {
  state: 'compensating' | 'failed' | 'done' | string
  error?: Json
  compensated?: number
  current?: Json
}

/** `GET instances/{id}/signals/`: one signal sent to the instance. */
export interface SignalInfo {
  seq: number
  name: string
  payload: Json
  sent_by: string
  created_at: string
  delivered: boolean
  delivered_at: string | null
  /** The node that took it ("" while buffered). */
  node: string
  item: string
}

/** `GET instances/{id}/queries/`: a named query's value now, or why it cannot be evaluated. */
export interface NamedQuery {
  name: string
  expression: string
  value: Json
  error: string | null
}
