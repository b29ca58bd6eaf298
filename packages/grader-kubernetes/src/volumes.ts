import type { KubernetesObject } from '@kubernetes/client-node';
import { MANAGED_BY, NAMESPACE_PREFIX } from '@kadai/k8s-sandbox';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Stage } from './stages';

/** Where the per-attempt copies of hostPath volumes live on the node (one directory per attempt and volume). */
export const VOLUME_ROOT = '/var/lib/kadai/attempt-volumes';
/** The attempt namespace a volume copy belongs to. */
export const VOLUME_ATTEMPT_LABEL = 'kadai.attempt-volume';

export const isVolume = (o: KubernetesObject) => o.kind === 'PersistentVolume';

interface VolumeSpec {
  hostPath?: { path?: string };
  claimRef?: { namespace: string; name: string };
}
interface ClaimSpec {
  storageClassName?: string;
  volumeName?: string;
}

/**
 * EX-5.2: a PersistentVolume the student declares (vetting allowed it) is cluster-scoped and uses
 * the node's disk, so attempts must not share it: each stage's volumes become copies with a name
 * and a directory of this attempt's, pre-bound to the claim of the same stage that asks for it
 * (`volumeName`, or a claim with `storageClassName: ""`); that claim's `volumeName` follows the
 * copy. `Stage.submitted` keeps what the student wrote.
 */
export function copyVolumes(stages: ReadonlyMap<string, Stage>, namespace: string): void {
  const suffix = namespace.slice(NAMESPACE_PREFIX.length);
  for (const stage of stages.values()) {
    const volumes = stage.objects.filter((v) => isVolume(v.object)).map((v) => v.object.metadata?.name ?? '');
    if (!volumes.length) continue;
    const copyName = (name: string) => `${name}-${suffix}`;
    const claims = stage.objects.filter((v) => v.object.kind === 'PersistentVolumeClaim').map((v) => v.object as KubernetesObject & { spec?: ClaimSpec });
    const claimFor = (volume: string) =>
      claims.find((c) => c.spec?.volumeName === volume) ??
      claims.find((c) => c.spec?.storageClassName === '' && c.spec.volumeName === undefined) ??
      // the stage's only claim, whatever class it asks for: a pre-bound volume binds it all the same (what EX-5.2's variants show)
      (claims.length === 1 ? claims[0] : undefined);
    stage.objects = stage.objects.map((vetted) => {
      const object = structuredClone(vetted.object) as KubernetesObject & { spec?: VolumeSpec & ClaimSpec };
      if (isVolume(object)) {
        const name = object.metadata?.name ?? '';
        const claim = claimFor(name);
        object.metadata = { ...object.metadata, name: copyName(name), labels: { ...object.metadata?.labels, [MANAGED_BY.key]: MANAGED_BY.value, [VOLUME_ATTEMPT_LABEL]: namespace } };
        object.spec = { ...object.spec, hostPath: { ...object.spec?.hostPath, path: `${VOLUME_ROOT}/${namespace}/${name}` }, ...(claim ? { claimRef: { namespace, name: claim.metadata?.name ?? '' } } : {}) };
      } else if (object.kind === 'PersistentVolumeClaim' && object.spec?.volumeName && volumes.includes(object.spec.volumeName)) {
        object.spec = { ...object.spec, volumeName: copyName(object.spec.volumeName) };
      } else return vetted;
      return { ...vetted, object };
    });
  }
}


/** Whether any stage holds a volume copy (its directory appears on the node). */
export const hasVolumeCopies = (stages: ReadonlyMap<string, Stage>): boolean => [...stages.values()].some((s) => s.objects.some((v) => isVolume(v.object)));

/** An attempt's directory name: exactly an attempt namespace's (nothing else under the root is touched). */
const ATTEMPT_DIR = new RegExp(`^${NAMESPACE_PREFIX}[0-9a-f]{12}$`);

/**
 * The node's directories of the attempts' volume copies (`VOLUME_ROOT/<namespace>/<volume>`), as
 * this worker sees them when it runs on the node (the local cluster: the same path). The API
 * server cannot remove a hostPath's directory, so kadai does: after the attempt, and in the
 * reaper for attempts whose worker was killed. A directory is removed without following links in
 * it (what a student's Pod wrote there stays inside).
 */
export class NodeVolumeDirs {
  constructor(readonly root: string) {}

  /** Removes one attempt's directory (nothing there is fine). */
  async remove(namespace: string): Promise<void> {
    if (!ATTEMPT_DIR.test(namespace)) throw new Error(`not an attempt namespace: ${namespace}`);
    await rm(path.join(this.root, namespace), { recursive: true, force: true });
  }

  /**
   * Removes the directories of attempt namespaces that no longer exist. The directories are read
   * before the namespaces are listed: a directory appears only after its namespace was made, so a
   * new attempt's is never taken for a leftover.
   */
  async reap(existingNamespaces: () => Promise<ReadonlySet<string>>): Promise<{ removed: string[]; failures: string[] }> {
    const dirs = (await readdir(this.root).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    })).filter((d) => ATTEMPT_DIR.test(d));
    if (!dirs.length) return { removed: [], failures: [] };
    const existing = await existingNamespaces();
    const removed: string[] = [];
    const failures: string[] = [];
    for (const dir of dirs.filter((d) => !existing.has(d))) {
      await this.remove(dir).then(
        () => removed.push(dir),
        (err: unknown) => failures.push(`volume directory ${dir}: ${(err as Error).message}`),
      );
    }
    return { removed, failures };
  }
}
