import { describe, expect, it } from 'vitest';
import { classifyLine, UploadMonitor } from '../../host/flash-tool/upload-monitor';

const chunk = (n: number, off: number) => `\x10require("Storage").write(".bootcde","${'x'.repeat(n)}",${off});\n`;

describe('upload monitor (docs/espruino.md "Uploading": the CLI exit code does not tell)', () => {
  it('counts .bootcde chunks even when the CLI splits them into 19-byte writes', () => {
    const m = new UploadMonitor(2500);
    expect(m.totalChunks).toBe(3);
    const text = chunk(1024, 0).replace(',0);', ',0,2500);') + chunk(1024, 1024) + chunk(452, 2048) + '\x10load()\n';
    for (let i = 0; i < text.length; i += 19) m.sent(text.slice(i, i + 19));
    expect(m.chunksSent).toBe(3);
    expect(m.fraction).toBe(1);
  });

  it('does not count other Storage files (the provisioning upload)', () => {
    const m = new UploadMonitor(100);
    m.sent('require("Storage").write("tapcard.prov",atob("e30="),0,2);\n');
    expect(m.chunksSent).toBe(0);
  });

  it('names each failure the tools print', () => {
    expect(classifyLine('Unable to connect!')?.kind).toBe('unable-to-connect');
    expect(classifyLine('Uncaught Error: Module MQTT not found')?.kind).toBe('module-not-found');
    expect(classifyLine('Uncaught ReferenceError: "x" is not defined')?.kind).toBe('uncaught');
    expect(classifyLine('Prompt not detected - upload failed. Trying to recover...')?.kind).toBe('no-prompt');
    expect(classifyLine('Upload Complete')).toBeNull();
  });

  it('reads board output split across reads, and a last line without newline', () => {
    const m = new UploadMonitor(10);
    m.received('board', 'Uncaught Err');
    m.received('board', 'or: boom\r\n>');
    m.received('board', 'Module Foo not');
    m.received('board', ' found');
    m.finish();
    expect(m.failures.map((f) => f.kind)).toEqual(['uncaught', 'module-not-found']);
  });
});
