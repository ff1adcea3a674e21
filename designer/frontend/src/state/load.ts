/** Loading the page's data: the editor (template, draft or latest version) or an instance. */
import { ApiError, errorMessage, get, enc } from '../api/client'
import type { Draft, Handler, InstanceDetail, TemplateInfo, VersionDetail } from '../api/types'
import { emptyGraph, type GraphV1, type StepTypeDef } from '../graph/types'
import { showInstance, watchInstance } from '../run/testRun'
import { initPersistence } from '../versions/persistence'
import type { Boot } from './boot'
import { loadDoc, useEditor } from './store'

/** Set once a loaded graph had nodes without positions: the canvas lays it out after measuring. */
export let layoutOnLoad = false
export const layoutDone = () => {
  layoutOnLoad = false
}

const list = <T>(data: T[] | { results: T[] }): T[] => (Array.isArray(data) ? data : data.results)

function setTypes(typeList: StepTypeDef[]) {
  // without a prototype: a draft's node of type "constructor" finds no type instead of Object's
  const types: Record<string, StepTypeDef> = Object.assign(Object.create(null), Object.fromEntries(typeList.map((t) => [t.type, t])))
  useEditor.setState({ typeList, types })
}

const notFound = (e: unknown) => e instanceof ApiError && e.status === 404

export async function loadEditor(boot: Boot) {
  useEditor.setState({ boot, readOnly: !boot.canEdit })
  const name = enc(boot.template)
  try {
    // the template says whether there is a draft: no request that is expected to fail
    const graphOf = async (template: TemplateInfo): Promise<[GraphV1, Draft | null]> => {
      if (template.has_draft) {
        const draft = await get<Draft>(`templates/${name}/draft/`).catch((e) => {
          if (notFound(e)) return null // published in the meantime
          throw e
        })
        if (draft) return [draft.graph, draft]
      }
      if (template.latest_version) return [(await get<VersionDetail>(`templates/${name}/versions/${template.latest_version}/`)).graph, null]
      return [emptyGraph(), null]
    }
    const [typeList, handlers, [template, [graph, draft]]] = await Promise.all([
      get<StepTypeDef[] | { results: StepTypeDef[] }>('step-types/'),
      get<Handler[] | { results: Handler[] }>('handlers/').catch(() => [] as Handler[]),
      get<TemplateInfo>(`templates/${name}/`).then(async (t) => [t, await graphOf(t)] as const),
    ])
    setTypes(list(typeList))
    useEditor.setState({ handlers: list(handlers), template })
    const flow = loadDoc(graph, { reset: true })
    layoutOnLoad = flow.missingPositions && boot.canEdit
    useEditor.setState({ loaded: true })
    initPersistence(graph, draft)
  } catch (e) {
    useEditor.setState({ loadError: loadMessage(e, `template ${boot.template}`) })
  }
}

export async function loadInstance(boot: Boot) {
  useEditor.setState({ boot, readOnly: true, rightTab: 'run', problemsOpen: false })
  try {
    const [typeList, instance] = await Promise.all([
      get<StepTypeDef[] | { results: StepTypeDef[] }>('step-types/'),
      get<InstanceDetail & { graph?: GraphV1 }>(`instances/${enc(boot.instance)}/`),
    ])
    const name = enc(instance.template)
    // the instance carries the graph it runs (test runs too); older servers: its version's
    const [graph, template] = await Promise.all([
      instance.graph ? Promise.resolve(instance.graph) : get<VersionDetail>(`templates/${name}/versions/${instance.version}/`).then((v) => v.graph),
      get<TemplateInfo>(`templates/${name}/`).catch(() => null),
    ])
    setTypes(list(typeList))
    useEditor.setState({ template })
    const flow = loadDoc(graph, { reset: true })
    layoutOnLoad = flow.missingPositions
    showInstance(instance)
    useEditor.setState({ loaded: true, save: { ...useEditor.getState().save, status: 'readonly' } })
    if (!useEditor.getState().run?.final) watchInstance(boot.instance, (runError) => useEditor.setState({ runError }))
  } catch (e) {
    useEditor.setState({ loadError: loadMessage(e, `instance ${boot.instance}`) })
  }
}

function loadMessage(e: unknown, what: string): string {
  if (notFound(e)) return `There is no ${what}.`
  if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return `You cannot open ${what}: ${e.message}`
  return `Could not load ${what}: ${errorMessage(e)}`
}
