// On a narrow screen the filters fold behind one "Filtres" button (aria-expanded), so that
// the map and the list come first; the button says how many filters are on. On a wide
// screen the button is not shown and the filters always are (widget.css).

const NARROW = "(max-width: 47.99em)"; // DSFR's md breakpoint: 48em

export function foldableFilters({ form, toggle, panel }) {
  const active = toggle.querySelector("#sdi-filters-active");
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    panel.classList.toggle("sdi-filters--open", open);
  };
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    setOpen(open);
    if (open) form.querySelector("input, select")?.focus();
  });
  // the skip link to the filters unfolds them
  for (const link of document.querySelectorAll('a[href="#sdi-filters"]')) {
    link.addEventListener("click", () => setOpen(true));
  }
  return {
    /** "Filtres (2)" when two filters are on (the region, a URL parameter only, counts too). */
    showActive(filters) {
      const n = Object.values(filters).filter(Boolean).length;
      active.textContent = n ? ` (${n})` : "";
    },
    foldOnPhone() {
      if (window.matchMedia(NARROW).matches && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    },
  };
}
