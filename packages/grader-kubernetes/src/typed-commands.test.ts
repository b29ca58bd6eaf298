import { isCommand, typedCommands } from './typed-commands';

describe('typed kubectl commands', () => {
  const [allPods, wideNodes, describe, exec, execIt] = typedCommands(
    'kubectl get po --all-namespaces\nkubectl get no -owide\nkubectl describe pod/web-1\nkubectl exec mypod -c p1 -- /bin/sh\nkubectl exec -it mypod -- sh\n',
  );

  it("compares kubectl's equivalent spellings equal", () => {
    expect(isCommand(allPods!, 'get pods', ['-A'])).toBe(true);
    expect(isCommand(allPods!, 'get pods')).toBe(true);
    expect(isCommand(allPods!, 'get pods', ['-o wide'])).toBe(false);
    expect(isCommand(wideNodes!, 'get nodes', ['-o wide'])).toBe(true);
    expect(isCommand(wideNodes!, 'get nodes', ['--output=wide'])).toBe(true);
    expect(isCommand(describe!, 'describe pod', ['web-1'])).toBe(true);
    expect(isCommand(describe!, 'describe nodes')).toBe(false);
    expect(isCommand(exec!, 'exec', ['-c p1'])).toBe(true);
    expect(exec!.rest).toEqual(['/bin/sh']);
    expect(isCommand(execIt!, 'exec', ['-i', '-t'])).toBe(true);
  });
});
