"use strict";
// Swagger UI for the portal's own schema; a file of its own, as the Content Security Policy
// allows no inline script. The page meets the portal's standard (WCAG 2.2 AA) through this
// configuration, docs.css, and the few markup repairs below, which Swagger UI's options do not
// reach.
(function () {
  var root = document.getElementById("swagger-ui");

  // Every part of the page in a landmark: Swagger UI puts only the operations in its <main>;
  // the API's title and description, and the Authorize button, each get a region of their own.
  function inRegion(label) {
    return function (Original, system) {
      return function (props) {
        var h = system.React.createElement;
        return h("section", { "aria-label": label }, h(Original, props));
      };
    };
  }
  var Landmarks = function () {
    return {
      wrapComponents: {
        InfoContainer: inRegion("About the API"),
        AuthorizeBtnContainer: inRegion("Authorisation"),
      },
    };
  };

  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    // A deep link is an <a> inside each operation's expand button: a control within a control,
    // and a target shorter than 24px.
    deepLinking: false,
    // The Schemas section repeats, in Swagger UI's least readable markup, what each operation
    // shows under its own "Schema" tab.
    defaultModelsExpandDepth: -1,
    docExpansion: "list",
    // "Try it out" sends real requests with the reader's token: one operation at a time, asked.
    tryItOutEnabled: false,
    // Idea: dark text on white, each colour a JSON example (or a curl command) uses at 5:1 or
    // more. The default, agate, writes numbers at 3.45:1, which axe-core lets pass: a number of
    // one digit is too short for it to judge.
    syntaxHighlight: { activated: true, theme: "idea" },
    persistAuthorization: false,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [Landmarks],
    layout: "BaseLayout",
  });

  // --- Repairs to Swagger UI's markup, each time it draws -----------------------------------
  // React leaves alone the attributes it did not set, so each repair is made once per element,
  // and again on the new element when Swagger UI draws one afresh.

  var dialog = { open: null, opener: null, inert: [] };

  function nameControls() {
    // The examples' drop-down lists have a text beside them but no label (4.1.2).
    root.querySelectorAll("select.examples-select-element:not([aria-label])").forEach(function (s) {
      var response = s.closest(".responses-wrapper");
      s.setAttribute("aria-label", response ? "Response example" : "Request example");
    });
    // A parameter's list of values (an enum in a query) sits in a table row, unlabelled.
    root.querySelectorAll("tr[data-param-name] select:not([aria-label])").forEach(function (s) {
      s.setAttribute("aria-label", s.closest("tr").dataset.paramName);
    });
    // The request body's editor, under "Try it out".
    root.querySelectorAll("textarea.body-param__text:not([aria-label])").forEach(function (t) {
      t.setAttribute("aria-label", "Request body");
    });
    // Each operation's table of responses is a region; named for its operation, each is told
    // apart from the others.
    var tables = "table.responses-table[role=region]:not([aria-label])";
    root.querySelectorAll(tables).forEach(function (t) {
      var summary = t.closest(".opblock").querySelector(".opblock-summary-description");
      t.setAttribute("aria-label", "Responses" + (summary ? ": " + summary.textContent : ""));
    });
    // The icons' definitions, drawn nowhere.
    root.querySelectorAll("svg.svg-assets:not([aria-hidden])").forEach(function (svg) {
      svg.setAttribute("aria-hidden", "true");
    });
    // The dialog's close button is an icon alone.
    root.querySelectorAll("button.close-modal:not([aria-label])").forEach(function (b) {
      b.setAttribute("aria-label", "Close");
    });
    // "select all" and "select none" (the scopes) are links without an address: out of reach of
    // the keyboard (2.1.1). They become buttons.
    root.querySelectorAll(".scopes h2 a:not([role])").forEach(function (a) {
      a.setAttribute("role", "button");
      a.setAttribute("tabindex", "0");
      a.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          a.click();
        }
      });
    });
  }

  // The Authorize dialog (which Swagger UI closes on Escape): named, modal (the page behind it
  // out of reach while it is open), and focus taken into it and given back to where it was
  // (2.4.3, 2.4.11).
  function watchDialog() {
    var modal = root.querySelector(".dialog-ux .modal-ux");
    if (modal && modal !== dialog.open) {
      var heading = modal.querySelector(".modal-ux-header h3");
      if (heading) {
        heading.id = heading.id || "authorize-dialog-title";
        modal.setAttribute("aria-labelledby", heading.id);
      }
      modal.setAttribute("role", "dialog");
      modal.setAttribute("aria-modal", "true");
      dialog.open = modal;
      dialog.opener = document.activeElement;
      setInertOutside(modal.closest(".dialog-ux"));
      var first =
        modal.querySelector("input, button:not(.close-modal)") || modal.querySelector("button");
      if (first) {
        first.focus();
      }
    } else if (!modal && dialog.open) {
      dialog.open = null;
      dialog.inert.forEach(function (element) {
        element.inert = false;
      });
      dialog.inert = [];
      var opener = dialog.opener;
      var back = opener && opener.isConnected ? opener : root.querySelector(".btn.authorize");
      if (back) {
        back.focus();
      }
    }
  }

  function setInertOutside(kept) {
    for (var node = kept; node && node !== document.body; node = node.parentElement) {
      Array.prototype.forEach.call(node.parentElement.children, function (sibling) {
        if (sibling !== node && !sibling.inert) {
          sibling.inert = true;
          dialog.inert.push(sibling);
        }
      });
    }
  }

  new MutationObserver(function () {
    nameControls();
    watchDialog();
  }).observe(root, { childList: true, subtree: true });
})();
