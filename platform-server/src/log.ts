/**
 * The platform's log: one line per event, text for people or JSON lines for machines. Events carry
 * identifiers, sizes, KCVs and outcomes. As a second line of defence, a field whose name says it
 * holds a secret (…key, …secret, …password, …pem, kic, kid, kmc, dek) is printed as [redacted].
 */
export type LogDetail = Record<string, unknown>;
export type Log = (event: string, detail?: LogDetail) => void;

const SECRET_FIELD = /(key|secret|password|pem)$|^(kic|kid|kmc|dek|enc|mac)$/i;

export function redact(detail: LogDetail): LogDetail {
  const out: LogDetail = {};
  for (const [k, v] of Object.entries(detail)) out[k] = SECRET_FIELD.test(k) ? '[redacted]' : v;
  return out;
}

export function createLog(write: (line: string) => void, format: 'text' | 'json' = 'text'): Log {
  return (event, detail = {}) => {
    const safe = redact(detail);
    const at = new Date().toISOString();
    if (format === 'json') {
      write(JSON.stringify({ at, event, ...safe }));
      return;
    }
    const fields = Object.entries(safe).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    write(`${at} ${event}${fields.length > 0 ? ' ' + fields.join(' ') : ''}`);
  };
}

export const silentLog: Log = () => {};
