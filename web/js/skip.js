// "Skip to content": where the link takes the keyboard. The link's own href (#main)
// would be taken for a route by the hash router, so the click is handled here instead.

/** The part of the page a view marks (``data-skip-target``: the open section, past the
 * protocol's outline), else the page's visible heading, else ``<main>``. */
function skipToContent(event) {
  event.preventDefault();
  const main = document.getElementById("main");
  const target =
    main.querySelector("[data-skip-target]") ?? main.querySelector("h1:not(.visually-hidden)") ?? main;
  if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
  target.focus();
  target.scrollIntoView({ block: "start" });
}

document.querySelector("a.skip")?.addEventListener("click", skipToContent);
