// The inbox's customer field: type a number, a name or a NIP, pick a suggestion, and its
// customer number is added to the list. Suggestions come from the server a few at a time.
// Events are caught on the document: the admin may draw the field after the page loads.
(function () {
  "use strict";

  const BOX = "[data-customer-numbers]";
  const timers = new WeakMap();

  function parts(box) {
    return {
      search: box.querySelector("[data-customer-numbers-search]"),
      options: box.querySelector("[data-customer-numbers-options]"),
      list: box.querySelector("textarea"),
    };
  }

  function numbers(list) {
    return list.value.split(/[\s,;]+/).filter(Boolean);
  }

  function addNumber(box) {
    const { search, list } = parts(box);
    const number = search.value.trim();
    search.value = "";
    if (!number || numbers(list).includes(number)) return;
    list.value = numbers(list).concat([number]).join("\n");
    list.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function suggest(box) {
    const { search, options } = parts(box);
    const query = search.value.trim();
    if (query.length < 2) return;
    fetch(box.dataset.searchUrl + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : { results: [] }))
      .then((data) => {
        options.replaceChildren(
          ...data.results.map((customer) => {
            const option = document.createElement("option");
            option.value = customer.number;
            option.label = customer.label;
            return option;
          }),
        );
      });
  }

  function isSuggested(box, value) {
    const { options } = parts(box);
    return Array.from(options.options).some((option) => option.value === value);
  }

  document.addEventListener("input", (event) => {
    const box = event.target.closest && event.target.closest(BOX);
    if (!box || !event.target.matches("[data-customer-numbers-search]")) return;
    // Picking a suggestion replaces the text (or, in some browsers, is a plain Event).
    const picked = !(event instanceof InputEvent) || event.inputType === "insertReplacementText";
    if (picked && isSuggested(box, event.target.value.trim())) {
      addNumber(box);
      return;
    }
    clearTimeout(timers.get(box));
    timers.set(box, setTimeout(() => suggest(box), 250));
  });

  document.addEventListener("keydown", (event) => {
    const box = event.target.closest && event.target.closest(BOX);
    if (!box || !event.target.matches("[data-customer-numbers-search]")) return;
    if (event.key === "Enter") {
      event.preventDefault(); // the field adds the number; it does not submit the form
      addNumber(box);
    }
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-customer-numbers-add]");
    if (button) addNumber(button.closest(BOX));
  });
})();
