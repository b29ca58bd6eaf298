import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendMessage } from './send';
import { checkWebhookUrl, refusedAddress } from './url-policy';

const closed = { allowedPrivate: [], selfOrigins: ['http://127.0.0.1:8080'] };

describe('where a webhook may connect', () => {
  it('allows public addresses and refuses private, link-local, loopback and unspecified ones', () => {
    expect(refusedAddress('93.184.216.34', 443, closed)).toBeUndefined();
    expect(refusedAddress('10.1.2.3', 80, closed)).toMatch(/private/);
    expect(refusedAddress('169.254.169.254', 80, closed)).toMatch(/linkLocal/);
    expect(refusedAddress('127.0.0.1', 9000, closed)).toMatch(/loopback/);
    expect(refusedAddress('0.0.0.0', 9000, closed)).toMatch(/kadai|unspecified/);
    expect(refusedAddress('::ffff:10.1.2.3', 80, closed)).toMatch(/private/);
    expect(refusedAddress('fd00::1', 80, closed)).toMatch(/uniqueLocal/);
  });

  it('allows what the operator listed, but never kadai’s own API', () => {
    const campus = { allowedPrivate: ['10.0.0.0/8', '127.0.0.1'], selfOrigins: ['http://127.0.0.1:8080'] };
    expect(refusedAddress('10.1.2.3', 80, campus)).toBeUndefined();
    expect(refusedAddress('127.0.0.1', 9000, campus)).toBeUndefined();
    expect(refusedAddress('127.0.0.1', 8080, campus)).toMatch(/kadai's own API/);
    expect(refusedAddress('127.0.0.2', 8080, campus)).toMatch(/kadai's own API/);
  });

  it('refuses non-HTTP schemes and credentials at registration', async () => {
    await expect(checkWebhookUrl('gopher://example.org/', closed)).rejects.toThrow(/scheme gopher:/);
    await expect(checkWebhookUrl('http://user:pw@93.184.216.34/', closed)).rejects.toThrow(/credentials/);
    await expect(checkWebhookUrl('http://localhost:9000/', closed)).rejects.toThrow(/loopback/);
  });

  it('checks the addresses a name resolves to when connecting (DNS rebinding): nothing reaches a refused one', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests += 1;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      // registered while "localhost" was thought public; now it resolves to loopback
      const refused = await sendMessage(`http://localhost:${port}/hook`, {}, '{}', closed, 2000);
      expect(refused).toMatchObject({ status: null, error: expect.stringMatching(/refused: localhost → .*loopback/) });
      const literal = await sendMessage(`http://127.0.0.1:${port}/hook`, {}, '{}', closed, 2000);
      expect(literal.error).toMatch(/refused: .*loopback/);
      expect(requests).toBe(0);
      const allowed = await sendMessage(`http://localhost:${port}/hook`, {}, '{}', { ...closed, allowedPrivate: ['127.0.0.0/8', '::1'] }, 2000);
      expect(allowed).toMatchObject({ status: 200, error: null });
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });
});
