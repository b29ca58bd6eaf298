import type { ServiceSpec } from './model';
import { demux, startOrder } from './sandbox';

const s = (name: string, dependsOn: string[] = []): ServiceSpec => ({ name, dependsOn, env: {}, ports: [], restart: 'no', volumes: [], where: { file: 'f' } });

describe('startOrder', () => {
  it('starts dependencies first and keeps the declared order otherwise', () => {
    expect(startOrder([s('web', ['redis']), s('redis'), s('worker', ['web'])]).map((x) => x.name)).toEqual(['redis', 'web', 'worker']);
    expect(startOrder([s('web'), s('redis')]).map((x) => x.name)).toEqual(['web', 'redis']);
  });
  it('survives cycles and unknown dependencies', () => {
    expect(startOrder([s('a', ['b']), s('b', ['a'])]).map((x) => x.name)).toEqual(['a', 'b']);
    expect(startOrder([s('a', ['nope'])]).map((x) => x.name)).toEqual(['a']);
  });
});

describe('demux', () => {
  it("reads Docker's multiplexed log frames, and plain text as is", () => {
    const frame = (type: number, text: string) => {
      const header = Buffer.alloc(8);
      header[0] = type;
      header.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    expect(demux(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]))).toBe('out\nerr\n');
    expect(demux(Buffer.from('plain tty output'))).toBe('plain tty output');
  });
});
