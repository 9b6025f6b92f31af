import { CapturedJson } from '../src/capture';
import { encodeSpoolLine, parseSpoolLine, type SpoolRecord } from '../src/writer/records';

// Text that JSON.parse then JSON.stringify would change: seeing it come back unchanged shows the
// captured JSON was carried as it is, never parsed and re-encoded.
const TEXT = '{"b": 1.50, "a": [ ], "s": "ü \\"q\\""}';

const execution = {
  id: 'e1',
  workflowId: 'w',
  workflowName: 'W',
  triggerType: 'manual',
  status: 'running' as const,
  startedAt: 1,
};
const step = { id: 's1', executionId: 'e1', nodeId: 'n', nodeType: 't', stepIndex: 0, startedAt: 2, status: 'running' as const };

describe('spool lines', () => {
  test('captured data is written as its JSON text and read back as the same text, of every kind of record', () => {
    const records: SpoolRecord[] = [
      { q: 1, t: 'E', r: { ...execution, triggerData: new CapturedJson(TEXT), metadata: new CapturedJson('"m"') } },
      { q: 2, t: 'S', r: { ...step, inputData: new CapturedJson(TEXT) } },
      { q: 3, t: 's', id: 's1', p: { status: 'success', outputData: new CapturedJson(TEXT) } },
      { q: 4, t: 'e', id: 'e1', p: { status: 'success', metadata: new CapturedJson('[1, 2]') } },
    ];
    const lines = records.map(encodeSpoolLine);
    // The text travels as a JSON string, escaped once, and is never re-encoded from a parsed value.
    expect(lines[0]).toContain(`"triggerData":${JSON.stringify(TEXT)}`);
    expect(lines[1]).toContain(`"inputData":${JSON.stringify(TEXT)}`);
    expect(lines[2]).toContain(`"outputData":${JSON.stringify(TEXT)}`);
    expect(lines[3]).toContain('"metadata":"[1, 2]"');

    const [e, s, sp, ep] = lines.map(parseSpoolLine) as [
      SpoolRecord & { t: 'E' },
      SpoolRecord & { t: 'S' },
      SpoolRecord & { t: 's' },
      SpoolRecord & { t: 'e' },
    ];
    expect(e).toMatchObject({ q: 1, t: 'E', r: { id: 'e1', workflowId: 'w', status: 'running', startedAt: 1 } });
    expect(e.r.triggerData).toBeInstanceOf(CapturedJson);
    expect((e.r.triggerData as CapturedJson).json).toBe(TEXT);
    expect((e.r.metadata as CapturedJson).json).toBe('"m"');
    expect((s.r.inputData as CapturedJson).json).toBe(TEXT);
    expect(s.r.outputData).toBeUndefined();
    expect(sp).toMatchObject({ q: 3, t: 's', id: 's1', p: { status: 'success' } });
    expect((sp.p.outputData as CapturedJson).json).toBe(TEXT);
    expect((ep.p.metadata as CapturedJson).json).toBe('[1, 2]');
  });

  test('a record is encoded without being changed, and one without data is not copied', () => {
    const data = new CapturedJson(TEXT);
    const row = { ...step, inputData: data };
    encodeSpoolLine({ q: 1, t: 'S', r: row });
    expect(row.inputData).toBe(data);
    expect(parseSpoolLine(encodeSpoolLine({ q: 5, t: 'E', r: execution }))).toEqual({ v: 2, q: 5, t: 'E', r: execution });
  });

  test('plain data values (a caller of the writer of its own) are stored as their JSON; null stays null', () => {
    const line = encodeSpoolLine({ q: 1, t: 'S', r: { ...step, inputData: { a: [1] }, outputData: null } });
    const record = parseSpoolLine(line) as SpoolRecord & { t: 'S' };
    expect((record.r.inputData as CapturedJson).json).toBe('{"a":[1]}');
    expect(record.r.outputData).toBeNull();
  });

  test('a line in the format of earlier releases (data as JSON values) is read with its values as they are', () => {
    // Literal lines as the previous release wrote them: JSON.stringify of the record, data parsed back into values.
    const legacy = [
      '{"q":7,"t":"E","r":{"id":"e1","workflowId":"w","workflowName":"W","triggerType":"manual","triggerData":{"order":7},"status":"running","startedAt":1}}',
      '{"q":8,"t":"S","r":{"id":"s1","executionId":"e1","nodeId":"n","nodeType":"t","stepIndex":0,"startedAt":2,"status":"running","inputData":"plain text"}}',
      '{"q":9,"t":"s","id":"s1","p":{"status":"success","outputData":["x",null]}}',
    ].map(parseSpoolLine);
    expect(legacy).toEqual([
      { q: 7, t: 'E', r: { ...execution, triggerData: { order: 7 } } },
      { q: 8, t: 'S', r: { ...step, inputData: 'plain text' } },
      { q: 9, t: 's', id: 's1', p: { status: 'success', outputData: ['x', null] } },
    ]);
  });

  test('torn, damaged or unknown lines are not records', () => {
    const whole = encodeSpoolLine({ q: 1, t: 'S', r: { ...step, inputData: new CapturedJson(TEXT) } });
    for (const line of [
      whole.slice(0, -1), // torn by a crash
      whole.slice(0, whole.length / 2),
      '',
      'null',
      '{"q":"1","t":"E","r":{"id":"e1"}}',
      '{"q":1,"t":"X","r":{"id":"e1"}}',
      '{"q":1,"t":"E","r":{"id":1}}',
      '{"q":1,"t":"e","p":{}}',
      '{"v":2,"q":1,"t":"S","r":{"id":"s1","inputData":{"a":1}}}', // format 2 holds data as text only
      '{"v":3,"q":1,"t":"E","r":{"id":"e1"}}', // a format this release does not know
    ]) {
      expect(parseSpoolLine(line)).toBeNull();
    }
  });
});
