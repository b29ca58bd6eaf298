import type Docker from 'dockerode';
import { engine } from './engine';
import { registryLayering } from './images';

/** A built image in the engine: its id, its whole size, and the bytes its build added on top of its base. */
export interface BuiltImage {
  id: string;
  size: number;
  ownBytes: number;
}

/**
 * What the build of `tag` wrote into its image: the sizes of its history entries after its base's.
 * The base is the image the Dockerfile names (`bases`, read from kadai's registry) whose layers
 * the built image starts with — the longest such, so `FROM base AS build … FROM build` counts from
 * `base`; none (FROM scratch) counts every layer. From the image's content, not from what ran: the
 * same Dockerfile counts the same whether BuildKit ran its steps or answered them from its cache.
 */
export async function builtImage(docker: Docker, tag: string, bases: string[], registry: string, signal: AbortSignal): Promise<BuiltImage> {
  const image = docker.getImage(tag);
  const [info, history] = await engine('inspect the built image', () => Promise.all([image.inspect(), image.history() as Promise<Array<{ Size: number }>>]));
  const layers = info.RootFS?.Layers ?? [];
  let baseEntries = 0;
  let baseLayers = 0;
  for (const ref of registry ? bases : []) {
    const base = await registryLayering(ref, registry, signal);
    if (base && base.diffIds.length > baseLayers && base.diffIds.every((id, i) => layers[i] === id)) {
      baseLayers = base.diffIds.length;
      baseEntries = base.historyLength;
    }
  }
  // the engine lists history newest first
  const own = history.slice(0, Math.max(0, history.length - baseEntries));
  return { id: info.Id, size: info.Size, ownBytes: own.reduce((sum, entry) => sum + entry.Size, 0) };
}
