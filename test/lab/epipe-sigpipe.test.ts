// E13 epipe-sigpipe: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { constants as os } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/13-epipe-sigpipe.js';
import { constants } from '../../lib/index.js';
import { epipeSigpipe, type EpipeSigpipeData } from '../../lib/lab/epipe-sigpipe.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<EpipeSigpipeData>;
const MESSAGE_LENGTH = 'helloworld'.length;

beforeAll(async () => {
  result = await epipeSigpipe.run();
}, 30_000);

describe('E13 epipe-sigpipe', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('after the peer closed: the first send succeeds, the RST arrives, the next send gives -EPIPE (MSG_NOSIGNAL)', () => {
    const p = result.data.inProcess;
    expect(p.stateAfterFin).toBe('CLOSE_WAIT');
    expect(p.firstSend).toBe(MESSAGE_LENGTH);
    expect(p.stateAfterRst).toBe('CLOSE');
    expect(p.revents).toBe('POLLOUT|POLLERR|POLLHUP');
    expect(p.secondSendNoSignal).toBe(-constants.EPIPE);
  });

  it('Node ignores SIGPIPE, so a send without MSG_NOSIGNAL gives -EPIPE too and the process lives on', () => {
    expect(result.data.inProcess.sigpipe).toBe('ignored');
    expect(result.data.inProcess.thirdSendPlain).toBe(-constants.EPIPE);
  });

  it('a child with SIGPIPE restored to SIG_DFL is killed by signal 13 (SIGPIPE) on the same send', () => {
    const dc = result.data.defaultChild;
    expect(result.data.sigpipe).toBe(os.signals.SIGPIPE);
    expect(dc.sigpipeBefore).toBe('ignored');
    expect(dc.signalResult).toBe(0);
    expect(dc.sigpipeAfter).toBe('default');
    expect(dc.firstSend).toBe(MESSAGE_LENGTH);
    expect(dc.revents).toBe('POLLERR|POLLHUP');
    expect(dc.exit).toEqual({ code: null, signal: 'SIGPIPE' });
    expect(dc.signalNumber).toBe(os.signals.SIGPIPE);
    expect(dc.secondSend).toBeNull();
  });

  it('the control child keeping SIG_IGN gets -EPIPE and exits 0', () => {
    const ic = result.data.ignoringChild;
    expect(ic.sigpipeBefore).toBe('ignored');
    expect(ic.sigpipeAfter).toBe('ignored');
    expect(ic.signalResult).toBeNull();
    expect(ic.firstSend).toBe(MESSAGE_LENGTH);
    expect(ic.secondSend).toBe(-constants.EPIPE);
    expect(ic.exit).toEqual({ code: 0, signal: null });
  });

  it('a TCP socket that never connected: send -EPIPE, recv -ENOTCONN', () => {
    expect(result.data.neverConnected).toEqual({ send: -constants.EPIPE, recv: -constants.ENOTCONN });
  });

  it('the example narrates the real numbers and says that Node ignores SIGPIPE', () => {
    const text = narrate(result);
    expect(text).toContain('Node ignores SIGPIPE');
    expect(text).toContain(`killed by SIGPIPE (signal ${os.signals.SIGPIPE})`);
    expect(text).toContain(`first send → ${MESSAGE_LENGTH}`);
    expect(text).toContain(`recv → ENOTCONN (${-constants.ENOTCONN})`);
  });
});
