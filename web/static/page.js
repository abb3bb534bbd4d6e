/* blogsearch pages: small enhancements; every page works without them.
 * - "/" moves the focus to the search box (unless the reader is typing somewhere);
 * - the filters panel starts closed on a narrow screen (open in the HTML, for readers without scripts);
 * - opening a result of a search is recorded in the search log (which result, not who).
 */
(() => {
  "use strict";
  const box = document.getElementById("q");

  document.addEventListener("keydown", (e) => {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.isComposing || !box) return;
    const target = e.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    e.preventDefault();
    box.focus();
    box.select();
  });

  const facets = document.querySelector("details.facets");
  if (facets && window.matchMedia && !window.matchMedia("(min-width: 48rem)").matches) facets.open = false;

  const results = document.querySelector(".results");
  const query = box ? box.value.trim() : "";
  if (results && query && navigator.sendBeacon) {
    results.addEventListener("click", (e) => {
      const link = e.target.closest && e.target.closest("a[data-slug]");
      if (!link) return;
      const url = new URL(results.dataset.opened, location.href);
      url.searchParams.set("q", query);
      url.searchParams.set("slug", link.dataset.slug);
      url.searchParams.set("rank", link.dataset.rank || "");
      navigator.sendBeacon(url.href);
    });
  }
})();
