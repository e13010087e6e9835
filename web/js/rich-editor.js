// A section's rich text, edited live with others: the toolbar and the editing area around
// the vendored editor (web/vendor/coediting.js, built from web/vendor-src/entry.js). The
// text lives in a Y.Doc the caller keeps in step with the server; everyone's changes show
// as they arrive, in read-only mode too.

import { createRichEditor } from "../vendor/coediting.js";
import { h, uid } from "./dom.js";

/** What the toolbar offers, in groups. A button shows its label (Bold and Italic show a
 * letter); `pressed` (for the ones that toggle) and `enabled` are asked again after every
 * change of the text or of the selection. */
const GROUPS = [
  [
    {
      text: "B",
      label: "Bold",
      keys: "Control+B Meta+B",
      run: (c) => c.toggleBold(),
      pressed: (c) => c.isActive("bold"),
    },
    {
      text: "I",
      label: "Italic",
      keys: "Control+I Meta+I",
      run: (c) => c.toggleItalic(),
      pressed: (c) => c.isActive("italic"),
    },
  ],
  [
    {
      label: "Paragraph",
      run: (c) => c.setParagraph(),
      pressed: (c) => c.isActive("paragraph") && !c.isActive("listItem") && !c.isActive("table"),
    },
    {
      label: "Sub-heading",
      run: (c) => c.setSubheading(1),
      pressed: (c) => c.isActive("heading", { level: 3 }),
    },
    {
      label: "Sub-heading 2",
      hint: "Sub-heading, level 2 (under a sub-heading)",
      run: (c) => c.setSubheading(2),
      pressed: (c) => c.isActive("heading", { level: 4 }),
    },
    {
      label: "Bulleted list",
      run: (c) => c.toggleBulletList(),
      pressed: (c) => c.isActive("bulletList"),
    },
    {
      label: "Numbered list",
      run: (c) => c.toggleOrderedList(),
      pressed: (c) => c.isActive("orderedList"),
    },
  ],
  [
    {
      label: "Table",
      hint: "Insert a table of 3 rows and 3 columns, the first row its header",
      run: (c) => c.insertTable(3, 3),
      enabled: (can) => can.insertTable({ rows: 3, cols: 3, withHeaderRow: true }),
    },
    {
      label: "Add row",
      run: (c) => c.addRowAfter(),
      enabled: (can) => can.addRowAfter(),
    },
    {
      label: "Add column",
      run: (c) => c.addColumnAfter(),
      enabled: (can) => can.addColumnAfter(),
    },
    {
      label: "Delete row",
      run: (c) => c.deleteRow(),
      enabled: (can) => can.deleteRow(),
    },
    {
      label: "Delete column",
      run: (c) => c.deleteColumn(),
      enabled: (can) => can.deleteColumn(),
    },
    {
      label: "Delete table",
      run: (c) => c.deleteTable(),
      enabled: (can) => can.deleteTable(),
    },
  ],
  [
    {
      label: "Undo",
      keys: "Control+Z Meta+Z",
      run: (c) => c.undo(),
      enabled: (can) => can.undo(),
    },
    {
      label: "Redo",
      keys: "Control+Shift+Z Meta+Shift+Z",
      run: (c) => c.redo(),
      enabled: (can) => can.redo(),
    },
  ],
];

/**
 * richEditor({doc, awareness, user, editable, label, field}) -> {node, setEditable, focus, destroy}
 *
 * `doc` is the section's Y.Doc (the text is its XmlFragment `field`, "default" unless
 * given); `awareness` (y-protocols) carries this person's caret, as `user` ({name,
 * color: "#rrggbb"}), and everyone else's; `label` names the editing area for assistive
 * technology. Read-only (`editable` false, or `setEditable(false)`) hides the toolbar and
 * still shows others' changes live.
 */
export function richEditor({ doc, awareness, user, editable = true, label, field = "default" }) {
  const body = h("div", { class: "rich-text-body", id: uid("rich-text") });
  const buttons = [];
  const toolbar = h(
    "div",
    {
      class: "rich-text-toolbar",
      role: "toolbar",
      "aria-label": `Formatting of ${label ?? "the text"}`,
      "aria-controls": body.id,
    },
    GROUPS.map((group) =>
      h(
        "div",
        { class: "rich-text-group" },
        group.map((tool) => {
          const button = h(
            "button",
            {
              type: "button",
              class: `rich-text-tool tool-${tool.label.toLowerCase().replaceAll(/[^a-z0-9]+/g, "-")}`,
              "aria-label": tool.label,
              "aria-keyshortcuts": tool.keys,
              title: tool.hint ?? tool.label,
              tabindex: "-1",
              // keep the editor's focus and selection: the command acts on them
              onmousedown: (event) => event.preventDefault(),
              onclick: () => {
                if (button.getAttribute("aria-disabled") === "true") return;
                tool.run(handle.commands);
              },
            },
            tool.text ?? tool.label,
          );
          buttons.push({ button, tool });
          return button;
        }),
      ),
    ),
  );
  const node = h("div", { class: "rich-text" }, toolbar, body);

  const handle = createRichEditor({ element: body, doc, field, awareness, user, editable, label });
  const { editor } = handle;

  // One tab stop for the whole toolbar; the arrow keys, Home and End move along it
  // (the ARIA toolbar pattern). Unavailable tools stay focusable, marked aria-disabled.
  let current = 0;
  function rove(index, focus) {
    current = (index + buttons.length) % buttons.length;
    buttons.forEach(({ button }, i) => button.setAttribute("tabindex", i === current ? "0" : "-1"));
    if (focus) buttons[current].button.focus();
  }
  toolbar.addEventListener("keydown", (event) => {
    const moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: -1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    rove(moves[event.key], true);
  });
  toolbar.addEventListener("focusin", (event) => {
    const index = buttons.findIndex(({ button }) => button === event.target);
    if (index >= 0) rove(index, false);
  });
  // Escape in the text goes to the toolbar (Tab moves between a table's cells there).
  body.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && editor.isEditable) buttons[current].button.focus();
  });
  rove(0, false);

  function refresh() {
    const can = editor.can();
    for (const { button, tool } of buttons) {
      if (tool.pressed) button.setAttribute("aria-pressed", String(tool.pressed(handle.commands)));
      const enabled = tool.enabled ? tool.enabled(can) : true;
      button.setAttribute("aria-disabled", String(!enabled));
    }
  }
  editor.on("transaction", refresh);
  refresh();

  function setEditable(value) {
    handle.setEditable(value);
    toolbar.hidden = !value;
    node.classList.toggle("read-only", !value);
  }
  setEditable(editable);
  // Shared content this editor cannot show has turned it read-only (see entry.js).
  editor.on("contentError", () => setEditable(false));

  return {
    node,
    setEditable,
    focus: () => handle.focus(),
    destroy: () => {
      editor.off("transaction", refresh);
      handle.destroy();
    },
  };
}
