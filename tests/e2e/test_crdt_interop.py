"""The browser's Yjs (web/vendor/coediting.js) and the server's pycrdt are one CRDT: what
a person types into the rich-text editor reads the same in Python, what the server writes
shows in the editor, and concurrent edits from both sides merge to the same document.
Also the widget as two people use it through a server-side document (carets, read-only,
a phone's width), and pasted HTML keeping only what the section markup can store.

The pages run in Debian's Chromium against the real app (so under its
Content-Security-Policy: a violation fails the test), on ``/`` with the sign-in form
replaced by the editor under test. Updates cross as base64 of Yjs's binary update format.

How pycrdt (0.14) exposes what y-prosemirror's binding (TipTap's ``@tiptap/y-tiptap``)
writes into an ``XmlFragment``:

- Every ProseMirror node but text is an ``XmlElement`` whose ``tag`` is the node's name
  (``paragraph``, ``heading``, ``bulletList``, ``listItem``, ``table``, ``tableRow``,
  ``tableHeader``, ``tableCell``, ``hardBreak``) and whose ``attributes`` are the node's
  attributes that are not null: ``dict(element.attributes)`` is ``{"level": 3.0}`` for a
  sub-heading and ``{"colspan": 1.0, "rowspan": 1.0}`` for a cell. Numbers written by
  the browser read as floats (Yjs numbers); a Python ``int`` written by pycrdt reads as a
  JavaScript number, so ``element.attributes["level"] = 3`` is what the editor expects.
- The text between two such elements is one ``XmlText``; its marks are formatting
  attributes, one key per mark named as the mark, valued with the mark's attributes (an
  empty map for bold and italic). ``XmlText.diff()`` gives the runs:
  ``[("Aims: ", None), ("primary", {"bold": {}}), (" and ", None),
  ("exploratory", {"italic": {}})]``; a run with both marks has ``{"bold": {}, "italic": {}}``.
  An empty paragraph has no ``XmlText`` at all; a line break is a ``hardBreak`` element
  between two ``XmlText`` children of the paragraph.
- ``str(fragment)`` is XML with marks as elements: ``<paragraph>Aims: <bold>primary</bold>
  ...</paragraph>`` (for reading in a test's output, not for parsing).

Client ids: pycrdt draws them from 53 bits (refusing larger ones), the browser's Yjs from
32; JavaScript numbers hold 53 bits exactly, so ids above 2**32 must survive both ways.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect
from pycrdt import Doc, Text, XmlElement, XmlFragment, XmlText

from tests.e2e.conftest import screenshot
from tests.e2e.csp import watch_for_violations

FIELD = "section"
"""The XmlFragment the editor is bound to (its ``field``)."""

BROWSER_CLIENT = 2**40 + 7
SERVER_CLIENT = 2**33 + 9
"""Both above 2**32, and ordered one way by their full values and the other way by their
low 32 bits, so a side that cut client ids to 32 bits would order concurrent insertions
differently and the two documents would not converge."""

LAB = """async () => {
  const co = await import("/vendor/coediting.js");
  const { richEditor } = await import("/js/rich-editor.js");
  const { Y } = co;
  const toBase64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
  const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const shape = (node) =>
    node instanceof Y.XmlText
      ? ["#text", node.toDelta().map(({ insert, attributes }) => [insert, attributes ?? null])]
      : [node.nodeName, node.getAttributes(), node.toArray().map(shape)];
  const place = () => {
    const element = document.createElement("section");
    document.querySelector("main").replaceChildren(element);
    return element;
  };
  window.lab = {
    co,
    doc: null,
    handle: null,
    newDoc(clientID) {
      this.doc = new Y.Doc();
      if (clientID != null) this.doc.clientID = clientID;
      return this.doc;
    },
    /** The bundle's own editor (createRichEditor), no toolbar. */
    bare(label) {
      const element = place();
      this.handle = co.createRichEditor({ element, doc: this.doc, field: "section", label });
    },
    /** The app's widget (web/js/rich-editor.js), its changes and awareness relayed to
     * Python when the test exposes window.relay. */
    widget(label, user, editable) {
      const awareness = new co.Awareness(this.doc);
      this.awareness = awareness;
      this.doc.on("update", (update, origin) => {
        if (origin !== "remote") window.relay?.("doc", toBase64(update));
      });
      awareness.on("update", ({ added, updated, removed }, origin) => {
        if (origin === "remote") return;
        const changed = [...added, ...updated, ...removed];
        window.relay?.("awareness", toBase64(co.encodeAwarenessUpdate(awareness, changed)));
      });
      const field = "section";
      this.handle = richEditor({ doc: this.doc, field, awareness, user, editable, label });
      place().append(this.handle.node);
    },
    receive(kind, update) {
      if (kind === "doc") Y.applyUpdate(this.doc, fromBase64(update), "remote");
      else co.applyAwarenessUpdate(this.awareness, fromBase64(update), "remote");
    },
    update(stateVector) {
      const known = stateVector === null ? undefined : fromBase64(stateVector);
      return toBase64(Y.encodeStateAsUpdate(this.doc, known));
    },
    stateVector() {
      return toBase64(Y.encodeStateVector(this.doc));
    },
    shape() {
      return this.doc.getXmlFragment("section").toArray().map(shape);
    },
    note() {
      return this.doc.getText("note").toString();
    },
  };
}"""

Shape = list[Any]
OpenLab = Callable[..., Awaitable[Page]]


@pytest.fixture
async def open_lab(browser: Browser, site: str) -> AsyncIterator[OpenLab]:
    """``page = await open_lab("ivy", width=390)``: the app's page with ``window.lab``
    (above) loaded. A script error or a CSP violation on any of them fails the test."""
    errors: list[str] = []

    async def opened(who: str, *, width: int = 1366) -> Page:
        context = await browser.new_context(base_url=site, viewport={"width": width, "height": 900})
        await watch_for_violations(context, site, errors, who)
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{who}: {error}"))
        await page.goto("/")
        # the app has settled on its sign-in form: it will not replace <main> again
        await expect(page.get_by_label("Username")).to_be_focused()
        await page.evaluate(LAB)
        return page

    yield opened
    assert errors == []


def shape_of(fragment: XmlFragment) -> Shape:
    """The fragment as pycrdt reads it, in the form ``lab.shape()`` gives in the browser:
    ``[tag, attributes, children]`` per element, ``["#text", [[text, marks], ...]]`` per
    ``XmlText`` (marks None for a run without any)."""

    def shape(node: XmlElement | XmlText | XmlFragment) -> Shape:
        if isinstance(node, XmlText):
            return ["#text", [[text, marks] for text, marks in node.diff()]]
        assert isinstance(node, XmlElement)
        attributes = dict(node.attributes.__iter__())  # the view is iterable, not typed so
        return [node.tag, attributes, [shape(child) for child in node.children]]

    return [shape(child) for child in fragment.children]


def state_vector(encoded: bytes) -> dict[int, int]:
    """A Yjs state vector (variable-length unsigned integers: the number of clients, then
    each client's id and clock) as {client id: clock}."""
    values = iter(var_uints(encoded))
    return {next(values): next(values) for _ in range(next(values))}


def var_uints(data: bytes) -> Iterator[int]:
    value = shift = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            yield value
            value = shift = 0


def runs(*chunks: tuple[str, dict[str, Any] | None]) -> Shape:
    return ["#text", [list(chunk) for chunk in chunks]]


def plain(text: str) -> Shape:
    return runs((text, None))


def paragraph(*children: Shape) -> Shape:
    return ["paragraph", {}, list(children)]


def cell(kind: str, text: str) -> Shape:
    return [kind, {"colspan": 1, "rowspan": 1}, [paragraph(plain(text))]]


def encoded(update: bytes) -> str:
    return base64.b64encode(update).decode()


def decoded(update: str) -> bytes:
    return base64.b64decode(update)


BOLD: dict[str, Any] = {"bold": {}}
ITALIC: dict[str, Any] = {"italic": {}}


@pytest.mark.parametrize("client_id", [BROWSER_CLIENT, 1_234_567], ids=["above-2**32", "below"])
async def test_what_is_typed_in_the_editor_reads_the_same_in_pycrdt(
    open_lab: OpenLab, client_id: int
) -> None:
    page = await open_lab("browser")
    await page.evaluate(
        "(id) => lab.newDoc(id).getText('note').insert(0, 'Drafted in Chromium')", client_id
    )
    await page.evaluate("() => lab.bare('Section 1.2 text')")
    textbox = page.get_by_role("textbox", name="Section 1.2 text")
    await textbox.click()
    keyboard = page.keyboard
    await keyboard.type("Aims: ")
    await keyboard.press("Control+b")
    await keyboard.type("primary")
    await keyboard.press("Control+b")
    await keyboard.type(" and ")
    await keyboard.press("Control+i")
    await keyboard.type("exploratory")
    await keyboard.press("Control+i")
    await keyboard.type(", ")
    await keyboard.press("Control+b")
    await keyboard.press("Control+i")
    await keyboard.type("key")
    await keyboard.press("Control+i")
    await keyboard.press("Control+b")
    await keyboard.press("Shift+Enter")
    await keyboard.type("endpoints")
    await keyboard.press("Enter")
    await page.evaluate("() => lab.handle.commands.setSubheading(1)")
    await keyboard.type("Schedule")
    await keyboard.press("Enter")
    await page.evaluate("() => lab.handle.commands.toggleBulletList()")
    await keyboard.type("Screening")
    await keyboard.press("Enter")
    await keyboard.type("Baseline")
    await keyboard.press("Enter")
    await keyboard.press("Enter")  # an empty item ends the list
    await page.evaluate("() => lab.handle.commands.insertTable(2, 2)")
    await keyboard.type("Visit")
    await keyboard.press("Tab")
    await keyboard.type("Day")
    await keyboard.press("Tab")
    await keyboard.type("Screening")
    await keyboard.press("Tab")
    await keyboard.type("-28")  # no Tab after the last cell: that would add a row
    await expect(textbox.locator("th")).to_have_text(["Visit", "Day"])
    await screenshot(page, "crdt-interop-typed")

    server: Doc[Any] = Doc()
    server.apply_update(decoded(await page.evaluate("() => lab.update(null)")))

    fragment = server.get(FIELD, type=XmlFragment)
    print(str(fragment))
    read = shape_of(fragment)
    print(read)
    assert read == [
        [
            "paragraph",
            {},
            [
                runs(
                    ("Aims: ", None),
                    ("primary", BOLD),
                    (" and ", None),
                    ("exploratory", ITALIC),
                    (", ", None),
                    ("key", BOLD | ITALIC),
                ),
                ["hardBreak", {}, []],
                plain("endpoints"),
            ],
        ],
        ["heading", {"level": 3}, [plain("Schedule")]],
        [
            "bulletList",
            {},
            [
                ["listItem", {}, [paragraph(plain("Screening"))]],
                ["listItem", {}, [paragraph(plain("Baseline"))]],
            ],
        ],
        [
            "table",
            {},
            [
                ["tableRow", {}, [cell("tableHeader", "Visit"), cell("tableHeader", "Day")]],
                ["tableRow", {}, [cell("tableCell", "Screening"), cell("tableCell", "-28")]],
            ],
        ],
    ]
    # exactly as pycrdt hands them over, without the shape above in between
    first = fragment.children[0]
    assert isinstance(first, XmlElement)
    assert first.tag == "paragraph"
    runs_read = first.children[0]
    assert isinstance(runs_read, XmlText)
    assert runs_read.diff()[1] == ("primary", {"bold": {}})
    heading = fragment.children[1]
    assert isinstance(heading, XmlElement)
    assert heading.attributes["level"] == 3
    assert str(server.get("note", type=Text)) == "Drafted in Chromium"
    assert set(state_vector(server.get_state())) == {client_id}


async def test_what_pycrdt_writes_shows_in_the_editor_and_can_be_edited_on(
    open_lab: OpenLab,
) -> None:
    server: Doc[Any] = Doc(client_id=SERVER_CLIENT)
    fragment = server.get(FIELD, type=XmlFragment)
    note = server.get("note", type=Text)
    with server.transaction():
        heading = fragment.children.append(XmlElement("heading", contents=[XmlText("Visits")]))
        heading.attributes["level"] = 3
        words = fragment.children.append(XmlElement("paragraph")).children.append(XmlText())
        words.insert(0, "Participants arrive ")
        words.insert(len(words), "fasting", {"bold": {}})
        words.insert(len(words), ".")
        items = fragment.children.append(XmlElement("bulletList"))
        item = items.children.append(XmlElement("listItem"))
        item.children.append(XmlElement("paragraph", contents=[XmlText("Bring the diary")]))
        note += "Seeded by the server"

    page = await open_lab("browser")
    await page.evaluate("(id) => lab.newDoc(id)", BROWSER_CLIENT)
    await page.evaluate(
        "([label, user]) => lab.widget(label, user, true)",
        ["Section 1.3 text", {"name": "Dr Ivy Chen", "color": "#1f77b4"}],
    )
    await page.evaluate("(update) => lab.receive('doc', update)", encoded(server.get_update()))

    textbox = page.get_by_role("textbox", name="Section 1.3 text")
    await expect(textbox.locator("h3")).to_have_text("Visits")
    await expect(textbox.locator("p strong")).to_have_text("fasting")
    await expect(textbox.locator("ul > li")).to_have_text(["Bring the diary"])
    assert await page.evaluate("() => lab.note()") == "Seeded by the server"
    # showing it wrote nothing back: the browser holds exactly the server's items
    browser_state = state_vector(decoded(await page.evaluate("() => lab.stateVector()")))
    assert browser_state == state_vector(server.get_state())

    await textbox.get_by_text("Participants arrive").click()
    await page.keyboard.press("End")
    await page.keyboard.type(" Water is allowed.")
    theirs = await page.evaluate("(known) => lab.update(known)", encoded(server.get_state()))
    server.apply_update(decoded(theirs))
    assert words.diff() == [
        ("Participants arrive ", None),
        ("fasting", {"bold": {}}),
        (". Water is allowed.", None),
    ]
    assert shape_of(fragment) == await page.evaluate("() => lab.shape()")


async def test_concurrent_edits_from_both_sides_merge_to_one_document(open_lab: OpenLab) -> None:
    server: Doc[Any] = Doc(client_id=SERVER_CLIENT)
    fragment = server.get(FIELD, type=XmlFragment)
    note = server.get("note", type=Text)
    with server.transaction():
        fragment.children.append(XmlElement("paragraph", contents=[XmlText("Common text.")]))
        note += "Shared"

    page = await open_lab("browser")
    await page.evaluate("(id) => lab.newDoc(id)", BROWSER_CLIENT)
    await page.evaluate(
        "([label, user]) => lab.widget(label, user, true)",
        ["Section 2 text", {"name": "Dr Omar Haddad", "color": "#d62728"}],
    )
    await page.evaluate("(update) => lab.receive('doc', update)", encoded(server.get_update()))
    textbox = page.get_by_role("textbox", name="Section 2 text")
    await expect(textbox).to_have_text("Common text.")
    base = encoded(server.get_state())

    # neither side sees the other's edits until both are done
    await textbox.locator("p").click()
    await page.keyboard.press("End")
    await page.keyboard.type(" Browser")
    await page.evaluate("() => lab.doc.getText('note').insert(6, ' browser')")
    with server.transaction():
        words = fragment.children[0].children[0]
        assert isinstance(words, XmlText)
        words.insert(len(words), " Server")  # the same place as the browser's
        words.insert(0, "Note: ")
        fragment.children.append(
            XmlElement("paragraph", contents=[XmlText("Added by the server.")])
        )
        note += " server"

    browser_state = await page.evaluate("() => lab.stateVector()")
    theirs = await page.evaluate("(known) => lab.update(known)", base)
    ours = server.get_update(decoded(browser_state))
    await page.evaluate("(update) => lab.receive('doc', update)", encoded(ours))
    server.apply_update(decoded(theirs))

    merged = shape_of(fragment)
    print(merged)
    assert merged == await page.evaluate("() => lab.shape()")
    assert str(note) == await page.evaluate("() => lab.note()")
    assert sorted(str(note).split()) == ["Shared", "browser", "server"]
    in_server = state_vector(server.get_state())
    assert in_server == state_vector(decoded(await page.evaluate("() => lab.stateVector()")))
    assert set(in_server) == {SERVER_CLIENT, BROWSER_CLIENT}
    first_line = str(fragment.children[0].children[0])
    assert first_line.startswith("Note: Common text.")
    assert sorted(first_line.removeprefix("Note: Common text.").split()) == ["Browser", "Server"]
    await expect(textbox.locator("p")).to_have_text([first_line, "Added by the server."])


async def test_two_people_write_one_section_through_the_servers_document(
    open_lab: OpenLab,
) -> None:
    """Ivy on a phone and Omar on a laptop, each with the app's widget, their Yjs updates
    and awareness relayed through a pycrdt document as the server will: each sees the
    other's text, formatting and caret live; Omar's read-only view keeps following."""
    server: Doc[Any] = Doc(client_id=SERVER_CLIENT)
    ivy = await open_lab("ivy", width=390)
    omar = await open_lab("omar")
    people = {
        "ivy": (ivy, {"name": "Dr Ivy Chen", "color": "#1f77b4"}),
        "omar": (omar, {"name": "Dr Omar Haddad", "color": "#d62728"}),
    }
    label = "Section 5.1 text"
    for page, user in people.values():
        await page.evaluate("() => lab.newDoc(null)")
        await page.evaluate("([label, user]) => lab.widget(label, user, true)", [label, user])

    def relay_from(sender: str) -> Callable[[str, str], Awaitable[None]]:
        async def relay(kind: str, update: str) -> None:
            if kind == "doc":
                server.apply_update(decoded(update))
            for name, (page, _) in people.items():
                if name != sender:
                    await page.evaluate(
                        "([kind, update]) => lab.receive(kind, update)", [kind, update]
                    )

        return relay

    for name, (page, _) in people.items():
        await page.expose_function("relay", relay_from(name))

    ivy_text = ivy.get_by_role("textbox", name=label)
    omar_text = omar.get_by_role("textbox", name=label)
    bold = ivy.get_by_role("button", name="Bold")
    await ivy_text.click()
    await ivy.keyboard.type("Participants fast overnight. ")
    await expect(bold).to_have_attribute("aria-pressed", "false")
    await bold.click()
    await expect(bold).to_have_attribute("aria-pressed", "true")
    await ivy.keyboard.type("Water is allowed")
    await bold.click()
    await ivy.keyboard.type(".")
    # to_contain_text: Ivy's caret, with her name, sits at the end of the line
    await expect(omar_text).to_contain_text("Participants fast overnight. Water is allowed.")
    await expect(omar_text.locator("strong")).to_have_text("Water is allowed")

    # Omar's caret and selection show on Ivy's page in his colour, with his name
    await omar_text.locator("p").first.click(position={"x": 1, "y": 5})  # before its first letter
    for _ in "Participants":
        await omar.keyboard.press("Shift+ArrowRight")
    caret = ivy_text.locator(".collaboration-carets__caret")
    await expect(caret.locator(".collaboration-carets__label")).to_have_text("Dr Omar Haddad")
    await expect(caret).to_have_css("border-left-color", "rgb(214, 39, 40)")
    selection = ivy_text.locator(".collaboration-carets__selection")
    await expect(selection).to_have_text("Participants")
    await expect(selection).to_have_css("background-color", "rgba(214, 39, 40, 0.25)")
    await screenshot(ivy, "rich-editor-phone-ivy")

    # read-only: no toolbar, the text still follows Ivy's changes
    await omar.evaluate("() => lab.handle.setEditable(false)")
    await expect(omar.get_by_role("toolbar")).to_be_hidden()
    await expect(omar_text).to_have_attribute("aria-readonly", "true")
    await expect(omar_text).to_have_attribute("contenteditable", "false")

    bulleted = ivy.get_by_role("button", name="Bulleted list")
    await expect(ivy_text).to_be_focused()  # her caret still after "allowed."
    await ivy.keyboard.press("Enter")
    await bulleted.click()
    await expect(bulleted).to_have_attribute("aria-pressed", "true")
    await ivy.keyboard.type("Diary")
    await ivy.keyboard.press("Enter")
    await ivy.keyboard.type("Glucose meter")
    await ivy.keyboard.press("Enter")
    await ivy.keyboard.press("Enter")
    await expect(bulleted).to_have_attribute("aria-pressed", "false")
    await ivy.get_by_role("button", name="Sub-heading", exact=True).click()
    await ivy.keyboard.type("Visits")
    await ivy.keyboard.press("Enter")
    add_row = ivy.get_by_role("button", name="Add row")
    await expect(add_row).to_have_attribute("aria-disabled", "true")
    await ivy.get_by_role("button", name="Table", exact=True).click()
    await expect(add_row).to_have_attribute("aria-disabled", "false")
    await ivy.keyboard.type("Visit")
    await ivy.keyboard.press("Tab")
    await ivy.keyboard.type("Day")
    await expect(omar_text.locator("li")).to_have_text(["Diary", "Glucose meter"])
    await expect(omar_text.locator("h3")).to_have_text("Visits")
    await expect(omar_text.locator("th")).to_contain_text(["Visit", "Day", ""])  # and her caret
    await expect(omar_text.locator("tr")).to_have_count(3)
    await screenshot(omar, "rich-editor-read-only-omar")  # Ivy's caret in the header row

    # the toolbar by keyboard: Escape leaves the text for it, the arrows move along it
    await ivy.keyboard.press("Escape")
    await expect(bold).to_be_focused()
    await ivy.keyboard.press("ArrowRight")
    await expect(ivy.get_by_role("button", name="Italic")).to_be_focused()

    # a phone's width: the toolbar wraps, nothing makes the page scroll sideways
    assert await ivy.evaluate("() => document.documentElement.scrollWidth") <= 390
    toolbar = await ivy.get_by_role("toolbar").bounding_box()
    assert toolbar is not None
    assert toolbar["width"] <= 390

    written = shape_of(server.get(FIELD, type=XmlFragment))
    print(written)
    assert written == await ivy.evaluate("() => lab.shape()")
    assert written == await omar.evaluate("() => lab.shape()")
    assert [block[0] for block in written] == [
        "paragraph",
        "bulletList",
        "heading",
        "table",
    ]
    await screenshot(ivy, "rich-editor-phone-ivy-table")


GOOGLE_DOCS = """<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-1">
<p dir="ltr" style="line-height:1.38;margin-top:0pt">
<span style="font-size:11pt;font-weight:700;">Docs bold</span>
<span style="font-size:11pt;font-weight:400;">plain</span>
<span style="font-size:11pt;font-weight:400;font-style:italic;">slanted</span></p></b>"""
"""How Google Docs puts a paragraph on the clipboard: bold and italic only in styles,
inside a <b> that its style says is not bold."""

PASTED = """<style>p { color: red }</style><h1>Title</h1>
<p>A <a href="/elsewhere">link</a>, <s>struck</s>, <u>underlined</u>, <code>code</code>,
<strong>bold</strong> <em>italic</em><img src="/favicon.svg" alt="logo"></p>
<blockquote><p>Quoted</p></blockquote>
<ul><li>Outer<ul><li>Nested</li></ul></li><li>Two<br>lines</li></ul>
<ol start="5" type="a"><li>Fifth</li></ol>
<table><tr><th style="width: 300px">Head<br>er</th></tr><tr><td align="right">cell</td></tr></table>
<pre><code>x = 1</code></pre><hr><h3>Kept</h3><h4>Kept too</h4><h5>Too deep</h5>"""

ALLOWED_ELEMENTS = {
    "paragraph",
    "hardBreak",
    "heading",
    "bulletList",
    "orderedList",
    "listItem",
    "table",
    "tableRow",
    "tableHeader",
    "tableCell",
}


def walk(shape: Shape, parents: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Shape]]:
    """Every node of a shape with the names of the elements above it."""
    yield parents, shape
    if shape[0] != "#text":
        for child in shape[2]:
            yield from walk(child, (*parents, shape[0]))


async def test_pasted_html_keeps_only_what_the_markup_can_store(open_lab: OpenLab) -> None:
    page = await open_lab("browser")
    await page.evaluate("() => lab.newDoc(null)")
    await page.evaluate("() => lab.bare('Section 3 text')")
    await page.get_by_role("textbox", name="Section 3 text").click()
    await page.evaluate(
        """(html) => {
          const data = new DataTransfer();
          data.setData("text/html", html);
          const target = document.querySelector(".ProseMirror");
          const paste = { clipboardData: data, bubbles: true, cancelable: true };
          target.dispatchEvent(new ClipboardEvent("paste", paste));
        }""",
        PASTED + GOOGLE_DOCS,
    )
    server: Doc[Any] = Doc()
    server.apply_update(decoded(await page.evaluate("() => lab.update(null)")))
    pasted = shape_of(server.get(FIELD, type=XmlFragment))
    print(pasted)
    nodes = [node for block in pasted for node in walk(block)]
    elements = [(parents, node) for parents, node in nodes if node[0] != "#text"]
    assert {node[0] for _, node in elements} <= ALLOWED_ELEMENTS
    assert {node[0] for _, node in elements} >= {"heading", "bulletList", "orderedList", "table"}
    texts = [node[1] for _, node in nodes if node[0] == "#text"]
    marks = {mark for text in texts for _, chunk_marks in text for mark in chunk_marks or {}}
    assert marks == {"bold", "italic"}
    for parents, node in elements:
        if node[0] == "heading":
            assert node[1] in ({"level": 3}, {"level": 4})
        elif node[0] in ("tableHeader", "tableCell"):
            assert node[1] == {"colspan": 1, "rowspan": 1}  # no width, no alignment
        else:
            assert node[1] == {}, node  # a numbered list starts at 1 and has no style
        if node[0] == "listItem":
            assert [child[0] for child in node[2]] == ["paragraph"]  # one line, no nesting
        if node[0] == "hardBreak":
            assert parents == ("paragraph",)  # only a paragraph of its own has lines
    assert ["heading", {"level": 3}, [plain("Kept")]] in pasted
    assert ["heading", {"level": 4}, [plain("Kept too")]] in pasted
    assert paragraph(plain("Too deep")) in pasted  # a fifth-level heading reads as text
    assert paragraph(runs(("Docs bold", BOLD), (" plain ", None), ("slanted", ITALIC))) in pasted
