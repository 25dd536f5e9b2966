/**
 * `tapcard terminal --download APP` against a platform that cannot take the request now (its
 * database away: the terminal's TerminalError UNAVAILABLE) asks again until it is queued; a refusal
 * or a platform busy for every try ends the request. The platform's side of "busy" is in
 * test/emulator/mcu-shells.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { TerminalError } from '../../host/terminal/terminal';
import { BUSY_TRIES, requestDownload } from '../../host/terminal/request-download';

/** A terminal whose platform answers each request with the next of `answers` (a job id or an error). */
function terminalAnswering(answers: (string | Error)[]): { requestDownload(app: string): Promise<string>; asked: number } {
  const t = {
    asked: 0,
    async requestDownload(): Promise<string> {
      const a = answers[Math.min(t.asked, answers.length - 1)];
      t.asked++;
      if (a instanceof Error) throw a;
      return a;
    },
  };
  return t;
}

const busy = new TerminalError('the platform cannot take the download now: the database is restarting', 'UNAVAILABLE');

describe('a download request the platform cannot take now', () => {
  it('is sent again until the platform queues it', async () => {
    const events: string[] = [];
    const t = terminalAnswering([busy, busy, '42']);
    expect(await requestDownload(t, 'transit', (e) => events.push(e), 1)).toBe('42');
    expect(t.asked).toBe(3);
    expect(events).toEqual(['terminal.download.busy', 'terminal.download.busy', 'terminal.download.requested']);
  });

  it('a refusal is not sent again', async () => {
    const events: string[] = [];
    const t = terminalAnswering([new TerminalError('download request refused: unknown application', 'PERMISSION_DENIED'), '42']);
    expect(await requestDownload(t, 'nope', (e) => events.push(e), 1)).toBeNull();
    expect(t.asked).toBe(1);
    expect(events).toEqual(['terminal.download.refused']);
  });

  it(`gives up after ${BUSY_TRIES} busy answers`, async () => {
    const events: string[] = [];
    const t = terminalAnswering([busy]);
    expect(await requestDownload(t, 'transit', (e) => events.push(e), 1)).toBeNull();
    expect(t.asked).toBe(BUSY_TRIES);
    expect(events.at(-1)).toBe('terminal.download.refused');
  });
});
