import { useState } from 'preact/hooks';

/**
 * Copies `text` to the clipboard and says so. The clipboard API needs a secure context (HTTPS,
 * or loopback as `flowtrail ui` serves by default): elsewhere the button says to select the text.
 */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [said, setSaid] = useState('');
  const copy = () => {
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (!clipboard) return setSaid('Copying needs HTTPS or localhost: select the text instead');
    clipboard.writeText(text).then(
      () => setSaid('Copied'),
      () => setSaid('Could not copy: select the text instead'),
    );
  };
  return (
    <span class="copy">
      <button type="button" class="small" onClick={copy}>
        {label}
      </button>
      <span class="copy-said" role="status">
        {said}
      </span>
    </span>
  );
}
