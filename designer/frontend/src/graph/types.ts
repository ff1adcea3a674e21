/** Graph JSON v1 (DESIGN §4): what the designer loads and saves, exactly this shape. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type Config = { [key: string]: Json }

export interface Position {
  x: number
  y: number
}

export interface GraphNode {
  id: string
  type: string
  label?: string
  position?: Position
  config: Config
}

export interface GraphEdge {
  id: string
  source: string
  target: string
  port?: string
}

export interface GraphSettings {
  timeout_s?: number
  on_failure?: string
  output?: Json
  description?: string
  [key: string]: Json | undefined
}

export interface GraphV1 {
  version: 1
  settings: GraphSettings
  nodes: GraphNode[]
  edges: GraphEdge[]
  /** Presentation-only top-level keys the server accepts and keeps (round-tripped untouched). */
  layout?: { [key: string]: Json }
  viewport?: { [key: string]: Json }
}

/** JSON Schema, the subset the step types use. */
export interface JsonSchema {
  type?: string | string[]
  title?: string
  description?: string
  enum?: Json[]
  const?: Json
  default?: Json
  examples?: Json[]
  format?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  propertyNames?: JsonSchema
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  uniqueItems?: boolean
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minLength?: number
  maxLength?: number
  pattern?: string
  minProperties?: number
  oneOf?: JsonSchema[]
  anyOf?: JsonSchema[]
  'x-widget'?: string
  [key: string]: unknown
}

/** One entry of GET /api/v1/step-types/. */
export interface StepTypeDef {
  type: string
  label: string
  category: string
  description: string
  inline: boolean
  schema: JsonSchema
  ports?: string[]
  port_source?: string | null
}

export const emptyGraph = (): GraphV1 => ({ version: 1, settings: {}, nodes: [], edges: [] })
