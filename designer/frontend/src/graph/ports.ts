import type { Config, StepTypeDef } from './types'

/** Ports for servers that do not describe them yet (GET /step-types/ without `ports`). */
const FALLBACK_PORTS: Record<string, string[]> = {
  condition: ['true', 'false'],
  end: [],
  approval: ['approved', 'rejected', 'changes', 'timeout'],
  signal: ['out', 'timeout'],
}
const FALLBACK_PORT_SOURCE: Record<string, string> = { switch: 'cases' }

/** An approval's decisions, in the server's canonical order (approval.OUTCOMES); each is a port. */
export const APPROVAL_OUTCOMES = ['approved', 'rejected', 'changes'] as const

/**
 * The decisions an approval offers (approval.offered): `config.outcomes` in the canonical order,
 * or all three when the key is absent or not a non-empty list.
 */
export function offeredOutcomes(config: Config): string[] {
  const chosen = config.outcomes
  if (!Array.isArray(chosen) || chosen.length === 0) return [...APPROVAL_OUTCOMES]
  return APPROVAL_OUTCOMES.filter((o) => chosen.includes(o))
}

/**
 * The one type whose fixed ports its config narrows: the step-types API describes an approval's
 * ports for an empty config (all three decisions + timeout), and `outcomes` drops the decisions
 * it does not offer (approval.ports). Edges left on a dropped port are drawn as stray ports.
 */
function narrowed(type: string, ports: string[], config: Config): string[] {
  if (type !== 'approval') return ports
  const offered = offeredOutcomes(config)
  return ports.filter((p) => !(APPROVAL_OUTCOMES as readonly string[]).includes(p) || offered.includes(p))
}

/**
 * The output ports of a node: `config[port_source]` + "default" when the type takes its ports
 * from its config (switch), else the type's fixed ports (an approval's narrowed to the decisions it
 * offers); plus "failure" with on_failure "route".
 */
export function outputPorts(def: StepTypeDef | undefined, config: Config): string[] {
  const source = def ? (def.port_source ?? (def.ports ? null : FALLBACK_PORT_SOURCE[def.type] ?? null)) : null
  let ports: string[]
  if (source) {
    const raw = config[source]
    const names = Array.isArray(raw) ? raw.filter((c): c is string => typeof c === 'string' && c !== '') : []
    ports = [...new Set(names), 'default']
  } else if (def?.ports) {
    ports = narrowed(def.type, [...def.ports], config)
  } else {
    ports = def ? narrowed(def.type, [...(FALLBACK_PORTS[def.type] ?? ['out'])], config) : ['out']
  }
  if (config.on_failure === 'route' && !ports.includes('failure')) ports.push('failure')
  return ports
}

/** The config key whose list names the ports (switch: "cases"), if any. */
export function portSource(def: StepTypeDef | undefined): string | null {
  if (!def) return null
  if (def.port_source !== undefined) return def.port_source ?? null
  return def.ports ? null : FALLBACK_PORT_SOURCE[def.type] ?? null
}
