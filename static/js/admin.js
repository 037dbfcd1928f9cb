"use strict";
// The helpdesk's admin. Django's date and time boxes get a note when the browser's clock is in
// another time zone than the portal's; the admin's script adds it on load. Tie each note to
// its boxes, so that a screen reader reads it with them (their HTML cannot point at a note
// that may never exist).
window.addEventListener("load", () => {
  const suffix = "_timezone_warning_helptext";
  for (const note of document.querySelectorAll(`.timezonewarning[id$="${suffix}"]`)) {
    const fieldId = note.id.slice(0, -suffix.length);
    for (const id of [fieldId, `${fieldId}_0`, `${fieldId}_1`]) {
      const input = document.getElementById(id);
      if (!input) continue;
      const refs = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (!refs.includes(note.id)) {
        input.setAttribute("aria-describedby", [...refs, note.id].join(" "));
      }
    }
  }
});

// Django's autocomplete boxes (Select2) draw a text box that names nothing, and name the box
// after its value alone. Name both after the field's label ("Installing supplier"); the value
// stays the text box's content.
function nameAutocompleteBoxes(root) {
  for (const select of root.querySelectorAll("select.admin-autocomplete")) {
    const label = document.querySelector(`label[for="${select.id}"]`);
    const name = (label ? label.textContent : select.dataset.fieldName || "").replace(/:\s*$/, "").trim();
    const container = select.nextElementSibling;
    const rendered = container && container.querySelector(".select2-selection__rendered");
    if (name && rendered) rendered.setAttribute("aria-label", name);
  }
}
// Django's autocomplete.js draws the boxes when the document is ready; this script, deferred,
// asks jQuery after it, so that the boxes are there.
if (window.django && window.django.jQuery) {
  window.django.jQuery(() => nameAutocompleteBoxes(document));
}
document.addEventListener("formset:added", (event) => nameAutocompleteBoxes(event.target));
