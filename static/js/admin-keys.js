/* Beacon admin pages: keyboard shortcuts.
 *
 *   j / k   next / previous row of the page's list     Enter   open the selected row
 *   /       search (the page's first filter field)      ?       this help     Esc  close
 *
 * Keys typed into a field are the field's. Rows are re-read on every key press, so a list
 * re-rendered live keeps working (the selection follows the row by its position).
 */
(function () {
  "use strict";

  var help = document.getElementById("shortcuts");
  var selected = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#admin-page table tbody tr"));
  }

  function select(delta) {
    var list = rows();
    if (!list.length) return;
    selected = Math.max(0, Math.min(list.length - 1, selected + delta));
    list.forEach(function (row, i) { row.classList.toggle("kb-selected", i === selected); });
    list[selected].scrollIntoView({ block: "nearest" });
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && help && help.open) { help.close(); return; }
    if (typing(event.target)) return;
    if (event.key === "j") { select(1); }
    else if (event.key === "k") { select(-1); }
    else if (event.key === "Enter" && selected >= 0) {
      var link = rows()[selected] && rows()[selected].querySelector("a[href]");
      if (!link) return;
      window.location.href = link.href;
    } else if (event.key === "/") {
      var field = document.querySelector("#admin-page form.filters input, #admin-page form.filters textarea");
      if (!field) return;
      field.focus();
    } else if (event.key === "?" && help) {
      if (help.open) help.close(); else help.showModal();
    } else {
      return;
    }
    event.preventDefault();
  });
})();
