// Word-level differences between two texts, for the tracked-change and conflict views.

function tokens(text) {
  return (text ?? "").match(/\s+|[^\s]+/g) ?? [];
}

const MOST_CELLS = 4_000_000;

/** [{op: "same" | "removed" | "added", text}] turning ``before`` into ``after``: the
 * longest common subsequence of words (whole texts compared when they are too long). */
export function diffWords(before, after) {
  const a = tokens(before);
  const b = tokens(after);
  if (a.length * b.length > MOST_CELLS) {
    return merged([
      { op: "removed", text: before ?? "" },
      { op: "added", text: after ?? "" },
    ]);
  }
  const rows = a.length + 1;
  const cols = b.length + 1;
  const lengths = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lengths[i * cols + j] =
        a[i] === b[j]
          ? lengths[(i + 1) * cols + j + 1] + 1
          : Math.max(lengths[(i + 1) * cols + j], lengths[i * cols + j + 1]);
    }
  }
  const parts = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      parts.push({ op: "same", text: a[i] });
      i += 1;
      j += 1;
    } else if (lengths[(i + 1) * cols + j] >= lengths[i * cols + j + 1]) {
      parts.push({ op: "removed", text: a[i] });
      i += 1;
    } else {
      parts.push({ op: "added", text: b[j] });
      j += 1;
    }
  }
  for (; i < a.length; i += 1) parts.push({ op: "removed", text: a[i] });
  for (; j < b.length; j += 1) parts.push({ op: "added", text: b[j] });
  return merged(parts);
}

function merged(parts) {
  const out = [];
  for (const part of parts) {
    if (!part.text) continue;
    const last = out[out.length - 1];
    if (last && last.op === part.op) last.text += part.text;
    else out.push({ ...part });
  }
  return out;
}
