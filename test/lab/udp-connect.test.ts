// E22 udp-connect: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/22-udp-connect.js';
import { constants } from '../../lib/index.js';
import { udpConnect, type UdpConnectData } from '../../lib/lab/udp-connect.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<UdpConnectData>;

beforeAll(async () => {
  result = await udpConnect.run();
}, 20_000);

describe('E22 udp-connect', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('a connected UDP socket uses send/recv without addresses', () => {
    const { connected } = result.data;
    expect(connected.unconnectedSend.returned).toBe(-constants.EDESTADDRREQ!);
    expect(connected.send.returned).toBe(4);
    expect(connected.recv).toEqual({ returned: 4, code: null, text: 'ping' });
    expect(connected.peerMatches).toBe(true);
    expect(connected.afterUnspec.code).toBe('EDESTADDRREQ');
  });

  it('connected to a closed port: send succeeds, POLLERR, then recv -ECONNREFUSED once', () => {
    const { refused } = result.data;
    expect(refused.send.returned).toBe(6);
    expect(refused.revents & constants.POLLERR!).toBe(constants.POLLERR);
    expect(refused.recv.returned).toBe(-constants.ECONNREFUSED!);
    expect(refused.recv.code).toBe('ECONNREFUSED');
    expect(refused.recvAgain.returned).toBe(-constants.EAGAIN!);
    expect(refused.sendThenSend.first.returned).toBe(5);
    expect(refused.sendThenSend.second.returned).toBe(-constants.ECONNREFUSED!);
    expect(refused.holderRecv.returned).toBe(-constants.EAGAIN!);
  });

  it('an unconnected socket never sees it, although the ICMP came (the witnesses saw it)', () => {
    const { unconnected } = result.data;
    expect(unconnected.witness.revents & constants.POLLERR!).toBe(constants.POLLERR);
    expect(unconnected.witness.soError).toBe(constants.ECONNREFUSED);
    if (constants.IP_RECVERR !== undefined) {
      expect(unconnected.recvErr!.revents & constants.POLLERR!).toBe(constants.POLLERR);
      expect(unconnected.recvErr!.recv.returned).toBe(-constants.ECONNREFUSED!);
    }
    expect(unconnected.sendto.returned).toBe(7);
    expect(unconnected.revents).toBe(0);
    expect(unconnected.soError).toBe(0);
    expect(unconnected.recv.returned).toBe(-constants.EAGAIN!);
  });

  it('a datagram read into a smaller buffer is truncated, the rest discarded; MSG_TRUNC gives the real length', () => {
    const { truncation } = result.data;
    expect(truncation.recv).toEqual({ returned: 4, code: null, text: truncation.sent.slice(0, 4) });
    expect(truncation.next.returned).toBe(-constants.EAGAIN!);
    expect(truncation.withTrunc.returned).toBe(truncation.sent.length);
    expect(truncation.withTrunc.text).toBe(truncation.sent.slice(0, 4));
    expect(truncation.following).toEqual({ returned: 4, code: null, text: 'next' });
  });

  it('the example narrates the real results', () => {
    const text = narrate(result);
    expect(text).toContain('recv → -ECONNREFUSED');
    expect(text).toContain(`SO_ERROR ${result.data.unconnected.soError}, recv → -EAGAIN`);
    expect(text).toContain(`MSG_TRUNC the same recv returns ${result.data.truncation.withTrunc.returned}`);
    expect(text).toContain(String(result.data.refused.port));
  });
});
