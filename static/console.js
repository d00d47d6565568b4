// Browsers without invoker commands (command/commandfor on buttons) still open and close the
// console's <dialog> confirmations.
(function () {
  if ("command" in HTMLButtonElement.prototype) return;
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button[commandfor]");
    if (!b) return;
    var d = document.getElementById(b.getAttribute("commandfor"));
    if (!d || typeof d.showModal !== "function") return;
    var cmd = b.getAttribute("command");
    if (cmd === "show-modal") { e.preventDefault(); d.showModal(); }
    if (cmd === "close") { e.preventDefault(); d.close(); }
  });
})();

// Cascading checkbox trees (ul.check-tree): ticking a menu ticks its subtree, unticking clears
// it, and a menu whose children are partly ticked shows half-ticked (indeterminate; not sent:
// the server brings a ticked child's ancestors anyway).
(function () {
  function own(li) { return li.querySelector(":scope > label > input[type=checkbox]"); }
  function refresh(li) {
    var kids = li.querySelectorAll(":scope > ul > li");
    if (!kids.length) return;
    var all = true, any = false;
    kids.forEach(function (k) {
      var b = own(k);
      if (!b) return;
      if (b.checked) any = true; else all = false;
      if (b.indeterminate) { any = true; all = false; }
    });
    var box = own(li);
    if (!box) return;
    box.checked = all;
    box.indeterminate = any && !all;
  }
  function refreshUp(li) {
    for (var p = li.parentElement && li.parentElement.closest("ul.check-tree > li"); p; p = p.parentElement && p.parentElement.closest("ul.check-tree > li")) refresh(p);
  }
  document.addEventListener("change", function (e) {
    var cb = e.target;
    if (!cb.matches || !cb.matches("ul.check-tree > li > label > input[type=checkbox]")) return;
    var li = cb.closest("li");
    li.querySelectorAll("ul input[type=checkbox]").forEach(function (b) { b.checked = cb.checked; b.indeterminate = false; });
    cb.indeterminate = false;
    refreshUp(li);
  });
  // On load, a menu's state follows its children's when any is ticked; a menu ticked alone
  // stays ticked.
  function init(root) {
    var items = Array.prototype.slice.call(root.querySelectorAll("ul.check-tree > li")).reverse(); // children first
    items.forEach(function (li) {
      if (li.querySelector(":scope > ul input[type=checkbox]:checked")) refresh(li);
    });
  }
  // Dragging menus (static/Sortable.min.js): every level of the menus page is a list; a drop
  // posts the menu's new parent and position, then the page reloads with the saved order.
  function sortable(root) {
    if (typeof Sortable === "undefined") return;
    root.querySelectorAll("[data-menu-sort] ul.admin-tree").forEach(function (ul) {
      if (ul.dataset.sortableReady) return;
      ul.dataset.sortableReady = "1";
      Sortable.create(ul, {
        group: "menus", handle: ".drag-handle", forceFallback: true, animation: 120, fallbackOnBody: true, swapThreshold: 0.6, emptyInsertThreshold: 8,
        onEnd: function (evt) {
          if (evt.from === evt.to && evt.oldIndex === evt.newIndex) return;
          var body = new URLSearchParams({ parent_id: evt.to.dataset.parentId || "0", index: String(evt.newIndex) });
          fetch("/admin/menus/" + evt.item.dataset.menuId + "/place", {
            method: "POST", body: body, credentials: "same-origin", redirect: "manual" // the reload shows the flash
          }).then(function () { window.location.reload(); }, function () { window.location.reload(); });
        }
      });
    });
  }
  function setup(root) { init(root); sortable(root); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { setup(document); });
  else setup(document);
  document.addEventListener("htmx:load", function (e) { setup(e.detail && e.detail.elt ? e.detail.elt : document); });
})();

// Copy buttons (data-copy = the id of the element whose text to copy) say when they copied.
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("button[data-copy]");
  if (!b) return;
  var el = document.getElementById(b.getAttribute("data-copy"));
  if (!el || !navigator.clipboard) return;
  navigator.clipboard.writeText(el.textContent.trim()).then(function () {
    var label = b.textContent;
    b.textContent = b.getAttribute("data-copied");
    setTimeout(function () { b.textContent = label; }, 1500);
  });
});

// While an htmx request runs, the page shows a progress bar and the button or link that sent it
// is busy and disabled, so nobody sends it twice.
document.addEventListener("htmx:beforeRequest", function (e) {
  document.documentElement.classList.add("loading");
  var elt = e.detail.elt;
  var busy = elt.tagName === "FORM" ? elt.querySelectorAll("button[type=submit], button:not([type])") : [elt];
  busy.forEach(function (b) { b.setAttribute("aria-busy", "true"); if (b.tagName === "BUTTON") b.disabled = true; });
});
document.addEventListener("htmx:afterRequest", function (e) {
  document.documentElement.classList.remove("loading");
  var elt = e.detail.elt;
  var busy = elt.tagName === "FORM" ? elt.querySelectorAll("[aria-busy]") : [elt];
  busy.forEach(function (b) { b.removeAttribute("aria-busy"); if (b.tagName === "BUTTON") b.disabled = false; });
});
