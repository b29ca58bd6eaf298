import { egressRules } from './build-egress';
import { reinstallScript } from './firewall-chain';

describe("the build network's firewall transaction", () => {
  const [input] = egressRules({ bridge: 'kd-builds', gateway: '10.203.0.1', mirrorPort: 80 });

  it('deletes every copy of its own rules and puts one of each back at the top, the ACCEPT first', () => {
    const listed = ['-i kd-builds -j DROP', '-j KUBE-FIREWALL', '-d 10.203.0.1/32 -i kd-builds -p tcp -m tcp --dport 80 -j ACCEPT', '-i kd-builds -j DROP', '-i kd-+ -j DROP'];
    expect(reinstallScript(listed, input!).split('\n')).toEqual([
      '*filter',
      '-D INPUT -i kd-builds -j DROP',
      '-D INPUT -d 10.203.0.1/32 -i kd-builds -p tcp -m tcp --dport 80 -j ACCEPT',
      '-D INPUT -i kd-builds -j DROP',
      '-I INPUT 1 -i kd-builds -j DROP',
      '-I INPUT 1 -d 10.203.0.1/32 -i kd-builds -p tcp -m tcp --dport 80 -j ACCEPT',
      'COMMIT',
      '',
    ]);
  });

  it("leaves other rules (another mirror port's ACCEPT, the attempt bridges' DROP) alone", () => {
    const listed = ['-d 10.203.0.1/32 -i kd-builds -p tcp -m tcp --dport 8080 -j ACCEPT', '-i kd-+ -j DROP'];
    expect(reinstallScript(listed, input!)).not.toContain('-D ');
  });
});
