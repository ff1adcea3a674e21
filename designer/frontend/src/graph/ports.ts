import type { Config, StepTypeDef } from './types'

/** Ports for servers that do not describe them yet (GET /step-types/ without `ports`). */
const FALLBACK_PORTS: Record<string, string[]> = {
  condition: ['true', 'false'],
  end: [],
  approval: ['approved', 'rejected', 'changes', 'timeout'],
  signal: ['out', 'timeout'],
}
const FALLBACK_PORT_SOURCE: Record<string, string> = { switch: 'cases' }

/**
 * The output ports of a node: `config[port_source]` + "default" when the type takes its ports
 * from its config (switch), else the type's fixed ports; plus "failure" with on_failure "route".
 */
export function outputPorts(def: StepTypeDef | undefined, config: Config): string[] {
  const source = def ? (def.port_source ?? (def.ports ? null : FALLBACK_PORT_SOURCE[def.type] ?? null)) : null
  let ports: string[]
  if (source) {
    const raw = config[source]
    const names = Array.isArray(raw) ? raw.filter((c): c is string => typeof c === 'string' && c !== '') : []
    ports = [...new Set(names), 'default']
  } else if (def?.ports) {
    ports = [...def.ports]
  } else {
    ports = def ? [...(FALLBACK_PORTS[def.type] ?? ['out'])] : ['out']
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
