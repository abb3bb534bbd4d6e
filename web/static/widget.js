/*! blogsearch search box, served by blogsearch at /widget.js.
 *
 *   <div id="search"></div>
 *   <script src="https://search.example.com/widget.js" data-target="#search" defer></script>
 *
 * or, once the script is on the page, <blogsearch-box></blogsearch-box> anywhere.
 * The box calls the API of the server it was loaded from. Plain JavaScript,
 * no dependencies; styles live in a Shadow DOM (see widget.css).
 */
(() => {
  "use strict";

  const TAG = "blogsearch-box";
  const script = document.currentScript;
  const scriptBase = script && script.src ? new URL(".", script.src).href : "";
  const CSS = /*@css*/"";  // widget.css, put here by the server (web/widget.py)
  const DEBOUNCE_MS = 150;
  const MAX_QUERY_CHARS = 256;  // the API refuses longer queries
  const DEFAULT_LIMIT = 5;
  const SUGGEST_LIMIT = 5;
  const MOUNT_ATTRIBUTES = ["placeholder", "label", "limit", "theme", "base-url"];
  const SETTLE_MS = 1500;  // a query shown this long without change is a search the reader made (logged)
  const MAX_TAG_CHIPS = 6;
  const MAX_SECTIONS = 2;  // a long post's best-matching sections shown under it
  const SHEET_MAX_WIDTH = 480;  // px: narrower viewports get a full-width sheet
  const PANEL_MIN_WIDTH = 448;  // px, within the viewport
  // The server's catalogue of strings (web/strings.py), put here when served.
  const STRINGS = /*@strings*/{};
  const fill = (text, values) => String(text || "").replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  const TEXT = {
    label: STRINGS.label || "ブログ内検索",
    placeholder: STRINGS.placeholder || "ブログ内を検索",
    none: (q) => fill(STRINGS.none || "「{q}」に一致する記事は見つかりませんでした", { q }),
    error: STRINGS.error || "検索できませんでした。しばらくしてからもう一度お試しください。",
    count: (n) => fill(STRINGS.count || "{n}件見つかりました", { n }),
    all: (n) => n ? fill(STRINGS.all || "すべての結果を見る（{n}件）", { n }) : (STRINGS.page || "検索ページで探す"),
    kinds: {
      title: STRINGS["kind.title"] || "記事", tag: STRINGS["kind.tag"] || "タグ", term: STRINGS["kind.term"] || "語",
      correction: STRINGS.did_you_mean || "もしかして",
    },
    tags: STRINGS.tags || "タグで絞り込む",
  };

  const noSuggest = new Set();  // servers whose /api/suggest answered 404
  let sheet = null;  // one constructed stylesheet for every box
  let counter = 0;

  // Styles for a shadow root: a constructed stylesheet (CSP's style-src does
  // not apply to it), else a <link> to widget.css on the server.
  function addStyles(root, server) {
    if (CSS && "adoptedStyleSheets" in Document.prototype && "replaceSync" in CSSStyleSheet.prototype) {
      try {
        if (!sheet) {
          sheet = new CSSStyleSheet();
          sheet.replaceSync(CSS);
        }
        root.adoptedStyleSheets = [sheet];
        return null;
      } catch (e) { /* fall back to the link */ }
    }
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = new URL("widget.css", server).href;
    root.append(link);
    return link;
  }

  function el(name, className) {
    const node = document.createElement(name);
    if (className) {
      node.className = className;
      node.setAttribute("part", className);
    }
    return node;
  }

  const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'" };

  function decodeEntities(text) {
    return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]+);/g, (all, name) => {
      if (name[0] !== "#") return ENTITIES[name] || all;
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      return valid ? String.fromCodePoint(code) : all;
    });
  }

  // Append escaped HTML whose only markup is <mark> as text nodes and <mark>
  // elements. Nothing from the server is ever parsed as HTML.
  function appendMarked(parent, html) {
    let target = parent;
    for (const part of String(html).split(/(<\/?mark>)/)) {
      if (part === "<mark>") {
        if (target === parent) target = parent.appendChild(document.createElement("mark"));
      } else if (part === "</mark>") {
        target = parent;
      } else if (part) {
        target.append(decodeEntities(part));  // a string becomes a Text node
      }
    }
  }

  // A result's snippet (escaped HTML with <mark>s), as a span.
  function snippetOf(html) {
    const snippet = el("span", "snippet");
    if (typeof html === "string") appendMarked(snippet, html);
    return snippet;
  }

  // An http(s) URL for a link, resolved against `base`; null for anything else
  // (javascript:, data:, unparsable), and for a URL without a scheme that
  // leaves base's site: browsers read "/\host/x" and "/<tab>/host/x" as "//host/x".
  function safeHref(url, base) {
    if (typeof url !== "string" || !url.trim()) return null;
    try {
      const parsed = new URL(url, base);
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
      const absolute = /^[a-z][a-z0-9+.-]*:/i.test(url.trim());
      return absolute || parsed.origin === new URL(base).origin ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  // '2025-11-15T10:00:00+09:00' → '2025年11月15日' (the post's own calendar day)
  function formatDate(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(typeof iso === "string" ? iso : "");
    return m ? `${+m[1]}年${+m[2]}月${+m[3]}日` : "";
  }

  async function getJSON(url, signal) {
    const response = await fetch(url, { signal, credentials: "omit" });
    if (!response.ok) {
      const error = new Error(`HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  class BlogsearchBox extends HTMLElement {
    connectedCallback() {
      if (!this.shadowRoot) this._build();
    }

    disconnectedCallback() {
      this._cancel();
    }

    _build() {
      const server = this.getAttribute("server") || scriptBase || document.baseURI;
      this._server = server.endsWith("/") ? server : server + "/";
      this._id = `blogsearch-${++counter}`;
      this._options = [];
      this._active = -1;
      this._seq = 0;
      this._shown = null;  // the query the panel shows results for
      this._pending = null;  // the query being fetched
      this._composing = false;
      this._tags = [];  // tag filters chosen with the chips
      this._logged = null;  // the search last sent to the log

      const root = this.attachShadow({ mode: "open" });
      const link = addStyles(root, this._server);
      // the panel's place and width, as a rule of the box's own constructed sheet (no style attribute)
      this._placement = null;
      if (!link) {
        try {
          this._placement = new CSSStyleSheet();
          root.adoptedStyleSheets = [...root.adoptedStyleSheets, this._placement];
        } catch (e) { this._placement = null; }
      }
      const box = el("div", "box");
      box.setAttribute("role", "search");
      const input = this._input = el("input", "input");
      Object.assign(input, {
        type: "search", autocomplete: "off", spellcheck: false, maxLength: MAX_QUERY_CHARS,
        placeholder: this.getAttribute("placeholder") || TEXT.placeholder, enterKeyHint: "search",
      });
      this._attrs(input, {
        role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
        "aria-controls": `${this._id}-list`, "aria-label": this.getAttribute("label") || TEXT.label,
      });
      const panel = this._panel = el("div", "panel");
      panel.hidden = true;
      const message = this._message = el("p", "message");
      message.hidden = true;
      const chips = this._chips = el("div", "chips");
      chips.setAttribute("role", "group");
      chips.setAttribute("aria-label", TEXT.tags);
      chips.hidden = true;
      const list = this._list = el("div", "list");
      this._attrs(list, { id: `${this._id}-list`, role: "listbox", "aria-label": TEXT.label });
      const live = this._live = el("div", "vh");
      live.setAttribute("role", "status");
      panel.append(chips, message, list);
      box.append(input, panel, live);
      root.append(box);
      if (link) {  // unstyled until the stylesheet is there
        box.hidden = true;
        link.onload = link.onerror = () => { box.hidden = false; };
      }

      input.addEventListener("compositionstart", () => {
        this._composing = true;
        clearTimeout(this._timer);
      });
      input.addEventListener("compositionend", () => {
        this._composing = false;
        this._schedule(false);
      });
      input.addEventListener("input", (e) => {
        if (!e.isComposing && !this._composing) this._schedule(false);
      });
      input.addEventListener("keydown", (e) => this._key(e));
      input.addEventListener("focus", () => {
        if (this._shown !== null && this._shown === this._query()) this._open();
      });
      input.addEventListener("blur", (e) => {
        if (!root.contains(e.relatedTarget)) this._close();
      });
      panel.addEventListener("mousedown", (e) => e.preventDefault());  // keep the focus in the input
      list.addEventListener("click", (e) => {
        const option = e.target.closest("[role=option]");
        if (option && !option.href) {
          e.preventDefault();
          this._activate(option);
        } else if (option) {
          this._settled(option);
        }
      });
      chips.addEventListener("click", (e) => {
        const chip = e.target.closest("button");
        if (!chip) return;
        const tag = chip._tag;
        this._tags = this._tags.includes(tag) ? this._tags.filter((t) => t !== tag) : [...this._tags, tag];
        this._shown = null;
        this._schedule(true);
        this._input.focus();
      });
      addEventListener("resize", () => { if (!this._panel.hidden) this._place(); });
      list.addEventListener("mousemove", (e) => {
        const option = e.target.closest("[role=option]");
        const i = this._options.indexOf(option);
        if (i >= 0 && i !== this._active) this._select(i, false);
      });
    }

    _attrs(node, attrs) {
      for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    }

    _query() {
      return this._input.value.replace(/\s+/g, " ").trim();
    }

    _limit() {
      const n = parseInt(this.getAttribute("limit"), 10);
      return n >= 1 && n <= 20 ? n : DEFAULT_LIMIT;
    }

    _url(path, params) {
      const url = new URL(path, this._server);
      for (const [name, value] of Object.entries(params)) {
        if (Array.isArray(value)) for (const v of value) url.searchParams.append(name, v);
        else url.searchParams.set(name, value);
      }
      return url.href;
    }

    // The search the reader settled on (a pause, Enter, a click) goes to the
    // search log once; an opened result too. Nothing about the reader is sent.
    _settled(option, query) {
      const q = query || this._shown;
      if (!q) return;
      const key = JSON.stringify([q, this._tags]);
      if (this._logged !== key) {
        this._logged = key;
        this._beacon(this._url("api/searched", { q, tag: this._tags }));
      }
      if (option && option._slug) {
        this._beacon(this._url("api/opened", { q, slug: option._slug, rank: option._rank }));
      }
    }

    _beacon(url) {
      try {
        if (navigator.sendBeacon && navigator.sendBeacon(url)) return;
        fetch(url, { method: "POST", keepalive: true, credentials: "omit" }).catch(() => {});
      } catch (e) { /* logging never gets in the reader's way */ }
    }

    // --- keys ------------------------------------------------------------------

    _key(e) {
      // While an IME composes, its keys (Enter commits, arrows pick a
      // candidate) belong to the IME.
      if (e.isComposing || e.keyCode === 229 || this._composing) return;
      const n = this._options.length;
      switch (e.key) {
        case "ArrowDown":
        case "ArrowUp": {
          if (!n) return;
          e.preventDefault();
          this._open();
          const down = e.key === "ArrowDown";
          const next = this._active < 0 ? (down ? 0 : n - 1) : (this._active + (down ? 1 : n - 1)) % n;
          this._select(next, true);
          break;
        }
        case "Enter": {
          const q = this._query();
          if (this._active >= 0 && !this._panel.hidden) {
            e.preventDefault();
            this._activate(this._options[this._active]);
          } else if (q) {
            e.preventDefault();
            this._settled(null, q);  // even before its results came: the search page does not log it
            location.assign(this._url("search", { q, tag: this._tags }));
          }
          break;
        }
        case "Escape":
          if (!this._panel.hidden) {
            e.preventDefault();
            e.stopPropagation();
            this._close();
          } else if (this._input.value) {
            e.preventDefault();
            this._input.value = "";
            this._schedule(true);
          }
          break;
        case "Tab":
          this._close();
          break;
      }
    }

    _activate(option) {
      if (option._suggestion !== undefined) {
        this._input.value = option._suggestion;
        this._schedule(true);
      } else if (option.href) {
        this._settled(option);
        location.assign(option.href);
      }
    }

    // --- searching ----------------------------------------------------------------

    _schedule(now) {
      clearTimeout(this._timer);
      clearTimeout(this._settleTimer);
      const q = this._query();
      if (!q) {
        this._cancel();
        this._clear();
      } else if (q === this._pending) {
        // already being fetched
      } else if (q === this._shown) {
        this._cancel();
        if (this._hasFocus()) this._open();
      } else {
        this._timer = setTimeout(() => this._search(q), now ? 0 : DEBOUNCE_MS);
      }
    }

    _cancel() {
      clearTimeout(this._timer);
      this._seq++;
      this._pending = null;
      if (this._controller) this._controller.abort();
      this._controller = null;
    }

    async _search(q) {
      this._cancel();  // a newer query replaces the one in flight
      const seq = this._seq;
      const controller = this._controller = new AbortController();
      this._pending = q;
      try {
        const [result, suggestions] = await Promise.all([
          getJSON(this._url("api/search", { q, tag: this._tags, per_page: this._limit() }), controller.signal),
          this._suggest(q, controller.signal),
        ]);
        if (seq === this._seq && q === this._query()) this._render(q, result, suggestions);
      } catch (error) {
        if (seq === this._seq && !controller.signal.aborted && q === this._query()) this._render(q, null, []);
      } finally {
        if (seq === this._seq) {
          this._pending = null;
          this._controller = null;
        }
      }
    }

    // Completions from /api/suggest when the server has it (a 404 means it
    // does not: not asked again); never fails the search.
    async _suggest(q, signal) {
      const server = this._server;
      if (noSuggest.has(server)) return [];
      try {
        const data = await getJSON(this._url("api/suggest", { q, limit: SUGGEST_LIMIT }), signal);
        return data && Array.isArray(data.suggestions) ? data.suggestions : [];
      } catch (error) {
        if (error.status === 404) noSuggest.add(server);
        return [];
      }
    }

    // --- rendering ----------------------------------------------------------------

    _render(q, result, suggestions) {
      const failed = !result || !Array.isArray(result.hits);
      const hits = failed ? [] : result.hits;
      const total = failed ? 0 : Number(result.total) || hits.length;
      const titles = new Set(hits.map((hit) => hit && hit.title));
      const options = suggestions
        .filter((s) => s && typeof s.text === "string" && s.text && s.text !== q
          && !(s.kind === "title" && titles.has(s.text)))
        .slice(0, SUGGEST_LIMIT)
        .map((s) => this._suggestionOption(s));
      // a correction of a query that finds nothing or little ("did you mean"), first
      const correction = failed ? null : result.did_you_mean;
      if (typeof correction === "string" && correction && correction !== q) {
        options.unshift(this._suggestionOption({ text: correction, kind: "correction" }));
      }
      hits.forEach((hit, i) => {
        if (!hit || typeof hit !== "object") return;
        options.push(this._hitOption(hit, i + 1));
        const sections = Array.isArray(hit.sections) ? hit.sections : [];
        for (const section of sections.slice(0, MAX_SECTIONS)) {
          const option = section && typeof section === "object" && this._sectionOption(hit, section, i + 1);
          if (option) options.push(option);
        }
      });
      if (total || failed) options.push(this._allOption(q, total));
      options.forEach((option, i) => {
        this._attrs(option, { id: `${this._id}-${i}`, role: "option", "aria-selected": "false" });
        option.tabIndex = -1;
      });
      this._list.replaceChildren(...options);
      this._options = options;
      this._active = -1;
      this._input.removeAttribute("aria-activedescendant");
      const text = failed ? TEXT.error : hits.length ? "" : TEXT.none(q);
      this._message.textContent = text;
      this._message.hidden = !text;
      this._message.classList.toggle("error", failed);
      this._live.textContent = text || TEXT.count(total);
      this._renderChips(failed ? [] : ((result.facets || {}).tags || []));
      this._shown = q;
      if (this._hasFocus()) this._open();
      clearTimeout(this._settleTimer);
      if (!failed) this._settleTimer = setTimeout(() => { if (this._shown === q) this._settled(null); }, SETTLE_MS);
    }

    // Tag filter chips: the tags chosen, then the result set's most frequent ones.
    _renderChips(facets) {
      const tags = [...this._tags];
      for (const f of facets) {
        if (tags.length >= MAX_TAG_CHIPS + this._tags.length) break;
        if (f && typeof f.value === "string" && !tags.includes(f.value)) tags.push(f.value);
      }
      const chips = tags.map((tag) => {
        const chip = el("button", "chip");
        chip.type = "button";
        chip.tabIndex = -1;  // the arrow keys move through the results; chips are for the pointer
        chip.textContent = `#${tag}`;
        chip.setAttribute("aria-pressed", String(this._tags.includes(tag)));
        chip._tag = tag;
        return chip;
      });
      this._chips.replaceChildren(...chips);
      this._chips.hidden = !chips.length;
    }

    // A panel wider than a narrow input (within the viewport), a full-width sheet on a phone.
    _place() {
      if (!this._placement) return;  // styled by the <link> fallback: as wide as the input
      const rect = this.getBoundingClientRect();
      const vw = document.documentElement.clientWidth || innerWidth;
      const sheet = vw <= SHEET_MAX_WIDTH;
      this._panel.classList.toggle("sheet", sheet);
      if (sheet) {
        const top = Math.round(this._input.getBoundingClientRect().bottom + 4);
        this._placement.replaceSync(`.panel.sheet { top: ${top}px; }`);
        return;
      }
      const width = Math.round(Math.min(Math.max(rect.width, PANEL_MIN_WIDTH), vw - 16));
      let left = 0;  // from the box's left edge
      if (rect.left + width > vw - 8) left = vw - 8 - width - rect.left;
      if (rect.left + left < 8) left = 8 - rect.left;
      this._placement.replaceSync(`.panel { left: ${Math.round(left)}px; right: auto; width: ${width}px; }`);
    }

    // A row for a hit or one of its sections: a link (when its URL is safe) that knows the hit's slug and rank.
    _linkOption(className, url, hit, rank) {
      const href = safeHref(url, this.getAttribute("base-url") || document.baseURI);
      const option = el(href ? "a" : "div", `option ${className}`);
      if (href) option.href = href;
      option._slug = typeof hit.slug === "string" ? hit.slug : "";
      option._rank = rank;
      return option;
    }

    _hitOption(hit, rank) {
      const option = this._linkOption("hit", hit.url, hit, rank);
      const title = el("span", "title");
      if (typeof hit.title_html === "string") appendMarked(title, hit.title_html);
      else title.textContent = String(hit.title || "");
      const meta = el("span", "meta");
      const date = formatDate(hit.date);
      if (date) {
        const time = el("time", "date");
        time.dateTime = hit.date;
        time.textContent = date;
        meta.append(time);
      }
      for (const tag of (Array.isArray(hit.tags) ? hit.tags : []).slice(0, 3)) {
        const chip = el("span", "tag");
        chip.textContent = String(tag);
        meta.append(chip);
      }
      option.append(title, meta, snippetOf(hit.snippet_html));
      return option;
    }

    // A section of a long post that matched (its heading, linked, and snippet), under the post.
    _sectionOption(hit, section, rank) {
      if (typeof section.title !== "string") return null;
      const option = this._linkOption("section", section.url, hit, rank);
      if (!option.href) return null;  // a section is only worth a row as a link
      const title = el("span", "title");
      title.textContent = section.title;
      option.append(title, snippetOf(section.snippet_html));
      return option;
    }

    _suggestionOption(suggestion) {
      const option = el("div", `option suggestion${suggestion.kind === "correction" ? " correction" : ""}`);
      const text = el("span", "text");
      text.textContent = suggestion.text;
      const kind = el("span", "kind");
      kind.textContent = TEXT.kinds[suggestion.kind] || "";
      option.append(text, kind);
      option._suggestion = suggestion.text;
      return option;
    }

    _allOption(q, total) {
      const option = el("a", "option all");
      option.href = this._url("search", { q, tag: this._tags });
      option.textContent = TEXT.all(total);
      return option;
    }

    _select(i, scroll) {
      const old = this._options[this._active];
      if (old) old.setAttribute("aria-selected", "false");
      this._active = i;
      const option = this._options[i];
      if (option) {
        option.setAttribute("aria-selected", "true");
        this._input.setAttribute("aria-activedescendant", option.id);
        if (scroll) option.scrollIntoView({ block: "nearest" });
      } else {
        this._input.removeAttribute("aria-activedescendant");
      }
    }

    _hasFocus() {
      return this.shadowRoot.activeElement === this._input;
    }

    _open() {
      if (this._shown === null) return;
      this._panel.hidden = false;
      this._place();
      for (const snippet of this._list.querySelectorAll(".snippet")) {
        snippet.classList.toggle("cut", snippet.scrollHeight > snippet.clientHeight + 1);
      }
      this._input.setAttribute("aria-expanded", "true");
    }

    _close() {
      this._panel.hidden = true;
      this._input.setAttribute("aria-expanded", "false");
      this._select(-1, false);
    }

    _clear() {
      this._close();
      this._shown = null;
      this._options = [];
      this._list.replaceChildren();
      this._chips.replaceChildren();
      this._chips.hidden = true;
      this._tags = [];
      this._message.hidden = true;
      this._live.textContent = "";
    }
  }

  if (!window.customElements) return;
  if (!customElements.get(TAG)) customElements.define(TAG, BlogsearchBox);

  // <script ... data-target="#search">: a box in each matching element,
  // with the script's data-placeholder, data-limit, ... as its attributes.
  function mount() {
    const target = script && script.getAttribute("data-target");
    if (!target) return;
    let nodes;
    try {
      nodes = document.querySelectorAll(target);
    } catch (e) {
      return;
    }
    for (const node of nodes) {
      if (node.querySelector(TAG)) continue;
      const box = document.createElement(TAG);
      for (const name of MOUNT_ATTRIBUTES) {
        const value = script.getAttribute(`data-${name}`);
        if (value !== null) box.setAttribute(name, value);
      }
      if (scriptBase) box.setAttribute("server", scriptBase);
      node.append(box);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
