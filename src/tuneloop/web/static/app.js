// Keyboard-first annotation (see docs/web.md for the map). Loaded from this origin only: the
// Content-Security-Policy forbids inline scripts, so nothing injected into a page can run.
"use strict";

(function () {
  const form = document.getElementById("answer-form");
  const help = document.getElementById("help-dialog");
  const skipDialog = document.getElementById("skip-dialog");
  const filter = document.getElementById("label-filter");
  const undoForm = document.getElementById("undo-form");
  const issueForm = document.getElementById("issue-form");

  const multi = document.querySelector("#labels.multi") !== null;
  const fieldsBox = document.getElementById("answer-fields");  // a fields item (an extract task)
  const source = document.getElementById("item-text");
  const suggestion = document.getElementById("suggestion");

  // `y` takes the model's suggestion: its label picked, or exactly its labels ticked.
  function takeSuggestion() {
    const wanted = JSON.parse(suggestion.dataset.labels);
    let first = null;
    for (const box of radios()) {
      box.checked = wanted.includes(box.value);
      if (box.checked && first === null) first = box;
    }
    if (first) first.focus();
  }

  function radios() {
    return Array.from(document.querySelectorAll('#labels input[type="radio"], #labels input[type="checkbox"]'));
  }

  // A multi_label item: a label's key (its data-key) ticks or unticks its checkbox.
  function keyed(key) {
    if (!multi) return null;
    for (const choice of document.querySelectorAll("#labels .choice")) {
      if (choice.dataset.key === key) return choice.querySelector("input");
    }
    return null;
  }

  function toggle(box) {
    box.checked = !box.checked;
    box.focus();
  }

  function pick(radio) {
    if (!radio) return;
    radio.checked = true;
    radio.focus();
  }

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.matches("textarea:not(#item-text), select") || (target.matches("input") && target.type !== "radio" && target.type !== "checkbox"));
  }

  // A fields item: the span selected in the item's text, put into a field; a list field gets it as
  // one more line. The text is a text area whose edits are refused (not `readonly`: Chromium gives a
  // read-only one no caret, so the keyboard could not select in it).
  function selectedSpan() {
    if (!source || source.tagName !== "TEXTAREA") return "";
    return source.value.slice(source.selectionStart, source.selectionEnd).trim();
  }

  function fieldInput(field) {
    return field.querySelector("input, textarea, select");
  }

  function fill(field, span) {
    const input = fieldInput(field);
    if (field.dataset.list === "yes") {
      const lines = input.value.split("\n").map((l) => l.trim()).filter((l) => l !== "");
      if (!lines.includes(span)) lines.push(span);
      input.value = lines.join("\n");
    } else {
      input.value = span;
    }
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function keyedField(key) {
    if (!fieldsBox || key === "") return null;
    return Array.from(fieldsBox.querySelectorAll(".field")).find((f) => f.dataset.key === key) || null;
  }

  if (fieldsBox) {
    source.addEventListener("beforeinput", function (event) { event.preventDefault(); });
    for (const button of fieldsBox.querySelectorAll(".take-selection")) {
      button.addEventListener("click", function () {
        const span = selectedSpan();
        if (span !== "") fill(button.closest(".field"), span);
      });
    }
    fieldsBox.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {  // leave the input, so a field's key works again
        event.preventDefault();
        source.focus();
      }
    });
  }

  function openSkip() {
    if (!skipDialog) return;
    skipDialog.showModal();
    document.getElementById("skip-reason").focus();
  }

  if (filter) {
    filter.addEventListener("input", function () {
      const wanted = filter.value.trim().toLowerCase().replace(/\s+/g, "_");
      let first = null;
      for (const choice of document.querySelectorAll("#labels .choice")) {
        const label = choice.dataset.label.toLowerCase();
        const match = wanted === "" || label.includes(wanted);
        choice.hidden = !match;
        if (match && first === null && wanted !== "") first = choice.querySelector("input");
      }
      if (first && !multi) first.checked = true;
    });
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && multi) {
        event.preventDefault();  // tick the first match, then show every label again
        const first = Array.from(document.querySelectorAll("#labels .choice")).find((c) => !c.hidden);
        if (first && filter.value.trim() !== "") toggle(first.querySelector("input"));
        filter.value = "";
        filter.dispatchEvent(new Event("input"));
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (form.querySelector('input[name="label"]:checked')) form.requestSubmit();
      } else if (event.key === "Escape") {
        event.preventDefault();
        const checked = form.querySelector('input[name="label"]:checked');
        (checked || radios()[0]).focus();
      }
    });
  }

  const skipOpen = document.getElementById("skip-open");
  if (skipOpen) skipOpen.addEventListener("click", openSkip);
  const skipCancel = document.getElementById("skip-cancel");
  if (skipCancel) skipCancel.addEventListener("click", function () { skipDialog.close(); });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if ((help && help.open) || (skipDialog && skipDialog.open) || typing(event.target)) return;
    if (event.key === "?") {
      event.preventDefault();
      if (help) help.showModal();
      return;
    }
    if (issueForm && (event.key === "c" || event.key === "k")) {
      // a suspect label: `c` sets the label chosen in the list (the suggested one until changed),
      // `k` keeps the given one
      event.preventDefault();
      issueForm.requestSubmit(document.getElementById(event.key === "c" ? "correct" : "keep"));
      return;
    }
    if (!form) {
      if (event.key === "u" && undoForm) undoForm.requestSubmit();
      return;
    }
    const field = keyedField(event.key);
    if (field) {
      event.preventDefault();
      const span = selectedSpan();
      if (span !== "") fill(field, span);
      else fieldInput(field).focus();
      return;
    }
    if (fieldsBox && event.key === "Enter" && !(event.target instanceof HTMLElement && event.target.matches("button, a"))) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    const box = keyed(event.key);
    if (box) {
      event.preventDefault();
      toggle(box);
    } else if (multi && event.key === "Enter") {
      event.preventDefault();
      form.requestSubmit();  // any set, the empty one too: the store checks the bounds
    } else if (/^[1-9]$/.test(event.key)) {
      event.preventDefault();
      pick(radios()[Number(event.key) - 1]);
    } else if (event.key === "/" && filter) {
      event.preventDefault();
      filter.focus();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (form.querySelector('input[name="label"]:checked, input[name="rating"]:checked')) {
        form.requestSubmit();  // the browser asks for any other required answer (correct or not)
      }
    } else if (event.key === "y" && suggestion) {
      event.preventDefault();
      takeSuggestion();
    } else if (event.key === "y" || event.key === "n") {
      const verdict = document.getElementById(event.key === "y" ? "correct-yes" : "correct-no");
      if (verdict) {
        event.preventDefault();
        pick(verdict);
      }
    } else if (event.key === "s") {
      event.preventDefault();
      openSkip();
    } else if (event.key === "u" && undoForm) {
      event.preventDefault();
      undoForm.requestSubmit();
    }
  });

  // Land on the work: the first label, so digits and Enter work without a click.
  if (fieldsBox) {
    source.focus({ preventScroll: true });
  } else if (form && !document.activeElement.matches("input, textarea, select")) {
    const first = radios()[0];
    if (first) first.focus({ preventScroll: true });
  }
})();
