import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const UI = join(__dirname, '..', '..', 'ui');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

// The browser suite shows stored markup stays inert on the pages it visits; this holds the rule
// for every file: the viewer has no way to turn a string into markup or code.
test('the viewer never turns a string into markup or code', () => {
  const files = sources(UI);
  expect(files.length).toBeGreaterThan(5);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    expect({
      file,
      found: text.match(/dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\b|srcdoc/g),
    }).toEqual({
      file,
      found: null,
    });
  }
});
