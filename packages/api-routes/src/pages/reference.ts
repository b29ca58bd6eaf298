import { html, type Html } from './html';
import type { PageContext } from './layout';

interface Operation {
  summary?: string;
  description?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string }>;
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
}

/**
 * The OpenAPI document as a page: every path and method with its parameters, request types and
 * responses, and the schemas as JSON. Rendered here from the document the API serves, so the page
 * never disagrees with /openapi.json and needs nothing from elsewhere.
 */
export function referenceBody(_ctx: PageContext, document: { paths?: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, unknown> } }): Html {
  const paths = Object.entries(document.paths ?? {});
  return html`
<p><a href="/openapi.json">/openapi.json</a></p>
<nav aria-label="operations"><ul>${paths.map(([path, ops]) => Object.keys(ops).map((m) => html`<li><a href="#${m}-${path}"><code>${m.toUpperCase()} ${path}</code></a></li>`))}</ul></nav>
${paths.map(([path, ops]) =>
  Object.entries(ops).map(
    ([method, op]) => html`<section class="operation" id="${method}-${path}" aria-labelledby="h-${method}-${path}">
<h2 id="h-${method}-${path}"><code>${method.toUpperCase()} ${path}</code></h2>
${op.summary ? html`<p>${op.summary}</p>` : ''}${op.description ? html`<p>${op.description}</p>` : ''}
${op.parameters?.length ? html`<h3>Parameters</h3><ul>${op.parameters.map((p) => html`<li><code>${p.name}</code> (${p.in}${p.required ? ', required' : ''})${p.description ? ` — ${p.description}` : ''}</li>`)}</ul>` : ''}
${op.requestBody?.content ? html`<h3>Request body</h3><ul>${Object.keys(op.requestBody.content).map((type) => html`<li><code>${type}</code></li>`)}</ul>` : ''}
<h3>Responses</h3>
<ul>${Object.entries(op.responses ?? {}).map(([code, r]) => html`<li><code>${code}</code> ${r.description ?? ''} ${Object.keys(r.content ?? {}).map((type) => html`<code>${type}</code> `)}</li>`)}</ul>
</section>`,
  ),
)}
<section aria-labelledby="schemas-heading"><h2 id="schemas-heading">Schemas</h2>
${Object.entries(document.components?.schemas ?? {}).map(([name, schema]) => html`<details id="schema-${name}"><summary><code>${name}</code></summary><pre>${JSON.stringify(schema, null, 2)}</pre></details>`)}
</section>`;
}
