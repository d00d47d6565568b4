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
