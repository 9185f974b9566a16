// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) { summary.focus(); }
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var box = button.closest("details, section, div.usa-summary-box__text");
    var status = (box && box.querySelector("[data-copy-status]")) ||
      document.querySelector("[data-copy-status]");
    if (!field) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      field.select();
      var done = function () { if (status) { status.textContent = "Link copied."; } };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          if (status) { status.textContent = "Select the link and copy it."; }
        });
      } else {
        try { document.execCommand("copy"); done(); } catch (e) { /* user copies by hand */ }
      }
    });
  });
});
