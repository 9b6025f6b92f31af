/** Escapes text for an HTML attribute value in double quotes. */
function attribute(text: string): string {
  return text.replace(/[&"<>']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The one HTML document of the viewer: no inline script or style (the CSP forbids both); the
 * base path travels to the script as a data attribute. Nothing stored is ever written into it.
 */
export function pageShell(basePath: string): string {
  const base = attribute(basePath);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<title>flowtrail</title>',
    '<link rel="icon" href="data:,">',
    `<link rel="stylesheet" href="${base}/assets/app.css">`,
    `<script defer src="${base}/assets/app.js"></script>`,
    '</head>',
    `<body data-base="${base}">`,
    '<div id="app"><noscript>The flowtrail viewer needs JavaScript.</noscript></div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
