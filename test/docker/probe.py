"""Reachability probe a hostile submission runs inside the sandbox (a Compose service or a RUN step).

Usage: probe.py [--hold] GROUP=TARGET[,TARGET...] ... [--reach NAME=URL[~TEXT]] ...
Each GROUP of targets must be unreachable: prints "GROUP-BLOCKED" when no target accepts a TCP
connection, else "GROUP-OPEN <target>" and exits 7, or "GROUP-UNRESOLVED <target>" (an address the probe
could not work out here) and exits 3; with --hold it sleeps instead of exiting, so the logs stay readable.
A TARGET is host:port, [ipv6]:port, or @gw4:PORT / @gw6:PORT: the host's own IPv4 address / IPv6
link-local (fe80::/10) address on this container's link, found from the kernel's routes and the ARP
entry of the gateway (the EUI-64 of its MAC, how Linux names a bridge's link-local address). An IPv6
address ending in a bare `%` gets the zone of the container's own link.
--reach: the URL must answer (containing TEXT): prints "NAME-OK", else "NAME-FAILED" and exits 3.
"""
import socket, sys, time, urllib.request


def gateway_v4():
    with open('/proc/net/route') as routes:
        rows = [line.split() for line in routes.readlines()[1:]]
    for row in rows:  # the default route's gateway, else the first address of the link's subnet
        if row[1] == '00000000' and row[2] != '00000000':
            return socket.inet_ntoa(bytes.fromhex(row[2])[::-1])
    for row in rows:
        if row[1] != '00000000':
            network = bytes.fromhex(row[1])[::-1]
            return socket.inet_ntoa(network[:3] + bytes([network[3] + 1]))
    return None


def link_local_of(ip):
    try:  # a connection attempt (dropped or not) makes the kernel resolve the neighbour's MAC
        socket.create_connection((ip, 9), timeout=1).close()
    except OSError:
        pass
    with open('/proc/net/arp') as arp:
        for line in arp.readlines()[1:]:
            fields = line.split()
            if fields[0] == ip and fields[3] != '00:00:00:00:00:00':
                mac = [int(b, 16) for b in fields[3].split(':')]
                eui = [mac[0] ^ 2, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]]
                groups = [f'{(eui[i] << 8) | eui[i + 1]:x}' for i in range(0, 8, 2)]
                return f"fe80::{':'.join(groups)}%{fields[5]}"
    return None


def resolve(target):
    host, _, port = target.rpartition(':')
    if host in ('@gw4', '@gw6'):
        gw = gateway_v4()
        host = gw if host == '@gw4' or gw is None else link_local_of(gw)
        if host is None:
            return None, target
    host = host.strip('[]')
    if host.endswith('%'):
        with open('/proc/net/route') as routes:
            host += routes.readlines()[1].split()[0]
    return (host, int(port)), f'{host}:{port}'


def probe(target):
    """'open', 'blocked' or 'unresolved' (the probe could not tell the address: never taken for blocked)."""
    address, name = resolve(target)
    if address is None:
        print('unresolved', name, flush=True)
        return 'unresolved', name
    try:
        socket.create_connection(address, timeout=3).close()
        return 'open', name
    except OSError as error:
        print('blocked', name, type(error).__name__, error, flush=True)
        return 'blocked', name


def main(args):
    hold = '--hold' in args
    args = [a for a in args if a != '--hold']
    status = 0
    print('eth0 IPv6:', 'on' if 'eth0' in open('/proc/net/if_inet6').read() else 'off', flush=True)
    while args:
        arg = args.pop(0)
        if arg == '--reach':
            name, _, spec = args.pop(0).partition('=')
            url, _, text = spec.partition('~')
            try:
                body = urllib.request.urlopen(url, timeout=20).read().decode(errors='replace')
                ok = text in body
            except OSError as error:
                print('unreachable', url, error, flush=True)
                ok = False
            print(f'{name}-OK' if ok else f'{name}-FAILED', flush=True)
            status = status or (0 if ok else 3)
            continue
        group, _, targets = arg.partition('=')
        outcomes = [probe(t) for t in targets.split(',')]
        worst = next((o for o in outcomes if o[0] == 'open'), None) or next((o for o in outcomes if o[0] == 'unresolved'), None)
        print(f'{group}-{worst[0].upper()} {worst[1]}' if worst else f'{group}-BLOCKED', flush=True)
        status = status or {'open': 7, 'unresolved': 3}.get(worst[0] if worst else '', 0)
    if hold:
        time.sleep(600)
    sys.exit(status)


main(sys.argv[1:])
