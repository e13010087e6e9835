// The browser side of Concord's live co-editing, bundled by build.sh into
// web/vendor/coediting.js: Yjs and its awareness protocol, and a TipTap editor bound to a
// Y.XmlFragment whose schema holds exactly what a section's markup can store
// (docs/formats.md): paragraphs with line breaks, sub-headings (heading levels 3 and 4),
// bulleted and numbered lists of one-line items, tables of one-line cells whose first
// row is the header, bold and italic. Nothing else can be typed, pasted or dropped in.
//
// The page's Content-Security-Policy allows no inline style: nothing here sets a `style`
// attribute or adds a <style> element. Colours go through the CSSOM
// (`element.style.setProperty`, a constructed style sheet), which the policy allows.

import { Editor, Extension, mergeAttributes, wrappingInputRule } from "@tiptap/core";
import Bold from "@tiptap/extension-bold";
import Collaboration from "@tiptap/extension-collaboration";
import CollaborationCaret from "@tiptap/extension-collaboration-caret";
import Document from "@tiptap/extension-document";
import HardBreak from "@tiptap/extension-hard-break";
import Heading from "@tiptap/extension-heading";
import Italic from "@tiptap/extension-italic";
import { BulletList } from "@tiptap/extension-list/bullet-list";
import { ListItem } from "@tiptap/extension-list/item";
import { OrderedList } from "@tiptap/extension-list/ordered-list";
import Paragraph from "@tiptap/extension-paragraph";
import { Table, TableCell, TableHeader, TableRow } from "@tiptap/extension-table";
import Text from "@tiptap/extension-text";
import { Gapcursor } from "@tiptap/extensions/gap-cursor";
import { Plugin, PluginKey } from "@tiptap/pm/state";

export * as Y from "yjs";
export {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from "y-protocols/awareness";

/** A sub-heading's level in the markup (1 or 2) is this heading level in the editor. */
const SUBHEADING_LEVELS = { 1: 3, 2: 4 };

// ---- The schema: exactly what the markup stores --------------------------------------

/** A sub-heading is one line: text with marks, no line break. */
const SubHeading = Heading.extend({ content: "text*" }).configure({ levels: [3, 4] });

/** Numbered lists are numbered from 1 (the markup has no other start nor style). */
const NumberedList = OrderedList.extend({
  addAttributes() {
    return {};
  },
  renderHTML({ HTMLAttributes }) {
    return ["ol", mergeAttributes(this.options.HTMLAttributes, HTMLAttributes), 0];
  },
  addInputRules() {
    return [wrappingInputRule({ find: /^1\.\s$/, type: this.type })];
  },
});

/** A list item is one line: exactly one paragraph, so lists never nest (Tab fails inside
 * a list and moves the focus on, as everywhere else on the page). */
const OneLineItem = ListItem.extend({ content: "paragraph" });

/** Cells hold one line of text and span one row and column as the markup writes them;
 * colspan and rowspan stay in the schema because the table commands read them. No
 * width and no alignment: those are rendered as inline style, which the CSP refuses and
 * the markup cannot store. */
const cellAttributes = () => ({ colspan: { default: 1 }, rowspan: { default: 1 } });
const OneLineCell = TableCell.extend({ content: "paragraph", addAttributes: cellAttributes });
const OneLineHeader = TableHeader.extend({ content: "paragraph", addAttributes: cellAttributes });

/** A table without column widths: the original draws a <colgroup> and a width as
 * `style` attributes (refused by the CSP); this one is a plain table in a scrolling
 * wrapper, so a wide table scrolls instead of widening a phone's page. */
const PlainTable = Table.extend({
  renderHTML({ HTMLAttributes }) {
    const attributes = mergeAttributes(this.options.HTMLAttributes, HTMLAttributes);
    return ["div", { class: "tableWrapper" }, ["table", attributes, ["tbody", 0]]];
  },
}).configure({ resizable: false, View: null, allowTableNodeSelection: false });

/** Where a line break may go: only in a paragraph of its own (directly in the document);
 * list items, cells and sub-headings are one line each in the markup. */
function breaksAllowedIn($position) {
  return $position.depth === 1 && $position.parent.type.name === "paragraph";
}

/** Shift+Enter and Mod+Enter make a line break in a paragraph; in a list item they start
 * the next item (as Enter does); elsewhere they do nothing. */
const LineBreak = HardBreak.extend({
  addKeyboardShortcuts() {
    const lineBreak = () => {
      const { $from } = this.editor.state.selection;
      if (breaksAllowedIn($from)) return this.editor.commands.setHardBreak();
      if ($from.node($from.depth - 1)?.type.name === "listItem") {
        return this.editor.commands.splitListItem("listItem");
      }
      return true;
    };
    return { "Mod-Enter": lineBreak, "Shift-Enter": lineBreak };
  },
});

/** Pasted or dropped content may bring line breaks into one-line places (a <br> in a
 * pasted list item or cell): each becomes a space. Only this editor's own pastes and
 * drops are looked at, never a colleague's changes arriving through Yjs. */
const OneLineParts = Extension.create({
  name: "concordOneLineParts",
  addProseMirrorPlugins() {
    return [
      new Plugin({
        key: new PluginKey("concordOneLineParts"),
        appendTransaction(transactions, _old, state) {
          const pasted = transactions.some((tr) => {
            const event = tr.getMeta("uiEvent");
            return tr.docChanged && (event === "paste" || event === "drop");
          });
          if (!pasted) return null;
          const misplaced = [];
          state.doc.descendants((node, pos) => {
            if (node.type.name !== "hardBreak") return true;
            if (!breaksAllowedIn(state.doc.resolve(pos))) misplaced.push(pos);
            return false;
          });
          if (misplaced.length === 0) return null;
          const tr = state.tr;
          for (const pos of misplaced.reverse()) {
            tr.replaceWith(pos, pos + 1, state.schema.text(" "));
          }
          return tr;
        },
      }),
    ];
  },
});

/** Pasted HTML (from a word processor, a web page) is full of `style` attributes and
 * often has <style> elements. The CSP refuses them as soon as they are parsed, even in a
 * detached document (a violation each), and ProseMirror then cannot see the bold and
 * italic they carry: a Google Docs paste, bold through styles inside a
 * `<b style="font-weight:normal">` wrapper, would turn bold all through. So style
 * elements are dropped and style attributes renamed before anything parses the HTML,
 * then read here: weight and slant become <strong> and <em> (or undo a <b>/<i>), the
 * rest of them is dropped. */
const STYLE_ELEMENT = /<style[\s>][\s\S]*?<\/style\s*>/gi;
const STYLE_ATTRIBUTE = /(<[a-z][^<>]*?\s)style(\s*=)/gi;
const RENAMED = "data-pasted-style";

function declared(style, property) {
  return new RegExp(`(?:^|;)\\s*${property}\\s*:\\s*([a-z0-9]+)`, "i").exec(style)?.[1]?.toLowerCase();
}

function pastedWithoutStyles(html) {
  const renamed = html.replace(STYLE_ELEMENT, "").replace(STYLE_ATTRIBUTE, `$1${RENAMED}$2`);
  const parsed = new DOMParser().parseFromString(renamed, "text/html");
  for (const element of parsed.body.querySelectorAll(`[${RENAMED}]`)) {
    const style = element.getAttribute(RENAMED);
    element.removeAttribute(RENAMED);
    const weight = declared(style, "font-weight");
    const slant = declared(style, "font-style");
    const bold = weight === "bold" || weight === "bolder" || Number(weight) >= 600;
    const italic = slant === "italic" || slant === "oblique";
    for (const [on, tag] of [
      [bold, "strong"],
      [italic, "em"],
    ]) {
      if (!on) continue;
      const wrapper = parsed.createElement(tag);
      wrapper.append(...element.childNodes);
      element.append(wrapper);
    }
    const unbolded = weight !== undefined && !bold && ["b", "strong"].includes(element.localName);
    const unslanted = slant === "normal" && ["i", "em"].includes(element.localName);
    if (unbolded || unslanted) element.replaceWith(...element.childNodes);
  }
  return parsed.body.innerHTML;
}

// ---- Other people's carets and selections --------------------------------------------

const HEX_COLOUR = /^#[0-9a-fA-F]{6}$/;
const FALLBACK_COLOUR = "#4a5360";

function colourOf(user) {
  return HEX_COLOUR.test(user?.color ?? "") ? user.color.toLowerCase() : FALLBACK_COLOUR;
}

/** Dark or white text on the colour, whichever reads better (WCAG relative luminance). */
function inkOn(colour) {
  const channel = (offset) => {
    const value = parseInt(colour.slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) ? "#1b1f24" : "#ffffff";
}

/** A caret: a thin bar in the person's colour with their name in a small label. Hidden
 * from screen readers (they would read the name in the middle of the text); the page
 * says who is in the section elsewhere. */
function renderCaret(user) {
  const colour = colourOf(user);
  const caret = document.createElement("span");
  caret.className = "collaboration-carets__caret";
  caret.setAttribute("aria-hidden", "true");
  caret.style.setProperty("border-color", colour);
  const label = document.createElement("span");
  label.className = "collaboration-carets__label";
  label.style.setProperty("background-color", colour);
  label.style.setProperty("color", inkOn(colour));
  label.textContent = String(user?.name ?? "");
  caret.append(label);
  return caret;
}

/** Decorations can only carry attributes, and a `style` attribute is refused, so a
 * selection's colour is a class with a rule in a constructed style sheet (one rule per
 * colour, the colour checked to be #rrggbb first). */
let selectionSheet = null;
const selectionRules = new Set();

function selectionClass(colour) {
  const name = `collaboration-carets__colour-${colour.slice(1)}`;
  if (!selectionRules.has(name)) {
    if (selectionSheet === null) {
      selectionSheet = new CSSStyleSheet();
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, selectionSheet];
    }
    const [r, g, b] = [1, 3, 5].map((offset) => parseInt(colour.slice(offset, offset + 2), 16));
    selectionSheet.insertRule(`.${name} { background-color: rgb(${r} ${g} ${b} / 0.25); }`);
    selectionRules.add(name);
  }
  return name;
}

function renderSelection(user) {
  return {
    class: `collaboration-carets__selection ${selectionClass(colourOf(user))}`,
    nodeName: "span",
  };
}

// ---- The editor ----------------------------------------------------------------------

/**
 * A rich-text editor in `element`, bound to `doc.getXmlFragment(field)`.
 *
 * Undo and redo are Yjs's (the Collaboration extension's): they undo this person's own
 * changes only, never a colleague's. With `awareness`, the person's caret and selection
 * are shared as `user` ({name, color: "#rrggbb"}) and everyone else's are shown.
 * Content arriving through Yjs that the schema cannot hold is kept in the document (not
 * deleted, as the binding would by default), and the editor turns read-only.
 *
 * Returns {editor, setEditable(bool), focus(), destroy(), commands}.
 */
export function createRichEditor({
  element,
  doc,
  field = "default",
  awareness,
  user,
  editable = true,
  label,
}) {
  const extensions = [
    Document,
    Paragraph,
    Text,
    LineBreak,
    SubHeading,
    BulletList,
    NumberedList,
    OneLineItem,
    PlainTable,
    TableRow,
    OneLineHeader,
    OneLineCell,
    Bold,
    Italic,
    OneLineParts,
    Gapcursor,
    Collaboration.configure({ fragment: doc.getXmlFragment(field) }),
  ];
  if (awareness) {
    extensions.push(
      CollaborationCaret.configure({
        provider: { awareness },
        user: { name: user?.name ?? "", color: colourOf(user) },
        render: renderCaret,
        selectionRender: renderSelection,
      }),
    );
  }
  const editorProps = (isEditable) => ({
    attributes: {
      class: "rich-text-page",
      role: "textbox",
      "aria-multiline": "true",
      "aria-label": label ?? "Text",
      "aria-readonly": isEditable ? "false" : "true",
    },
    transformPastedHTML: pastedWithoutStyles,
  });
  const editor = new Editor({
    element,
    extensions,
    editable,
    injectCSS: false,
    enableContentCheck: true,
    editorProps: editorProps(editable),
  });
  editor.on("contentError", ({ error }) => {
    console.error("The shared text holds content this editor cannot show:", error);
    setEditable(false);
  });

  function setEditable(value) {
    editor.setEditable(Boolean(value));
    editor.setOptions({ editorProps: editorProps(Boolean(value)) });
  }

  // Commands change the text only while it is editable (a read-only editor still shows
  // everyone else's changes as they arrive).
  const run =
    (command) =>
    (...args) =>
      editor.isEditable && command(editor.chain().focus(), ...args).run();
  const commands = {
    toggleBold: run((chain) => chain.toggleBold()),
    toggleItalic: run((chain) => chain.toggleItalic()),
    toggleBulletList: run((chain) => chain.toggleBulletList()),
    toggleOrderedList: run((chain) => chain.toggleOrderedList()),
    setParagraph: run((chain) => chain.setParagraph()),
    setSubheading: run((chain, level) => {
      const heading = SUBHEADING_LEVELS[level];
      if (heading === undefined) throw new RangeError(`a sub-heading is level 1 or 2, not ${level}`);
      return chain.setHeading({ level: heading });
    }),
    insertTable: run((chain, rows = 3, cols = 3) =>
      chain.insertTable({ rows, cols, withHeaderRow: true }),
    ),
    addRowAfter: run((chain) => chain.addRowAfter()),
    addColumnAfter: run((chain) => chain.addColumnAfter()),
    deleteRow: run((chain) => chain.deleteRow()),
    deleteColumn: run((chain) => chain.deleteColumn()),
    deleteTable: run((chain) => chain.deleteTable()),
    undo: run((chain) => chain.undo()),
    redo: run((chain) => chain.redo()),
    isActive: (name, attrs) => editor.isActive(name, attrs),
  };

  return {
    editor,
    setEditable,
    focus: () => editor.commands.focus(),
    destroy: () => editor.destroy(),
    commands,
  };
}
