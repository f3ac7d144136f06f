// matchmaker's web pages: the little script that signs in with an organisation key and
// sends the pages' changes to the JSON API.
//
// The key lives in sessionStorage (this tab only, gone when it closes) and travels only in
// the Authorization header of same-origin fetches: no cookie carries it, so no other site
// can make the browser use it (no CSRF), and it never appears in a URL. Text from the
// server is inserted with textContent; HTML fragments come from this site's own templates.
(function () {
  "use strict";

  var KEY = "matchmaker.key";
  var WHO = "matchmaker.who";
  // The draft name typed in a builder, with its call's id ({call: "12", name: "..."}),
  // forgotten with the key: it is the signed-in organisation's.
  var DRAFT_NAME = "matchmaker.draft-name";
  // "Signed in as ..." for the keys that stand for no organisation.
  var KEY_WITHOUT_ORGANISATION = { admin: "an administrator", publisher: "a call publisher" };

  function storage() {
    try {
      return window.sessionStorage;
    } catch (error) {
      return null;
    }
  }

  function currentKey() {
    var store = storage();
    return store ? store.getItem(KEY) : null;
  }

  function currentWho() {
    var store = storage();
    try {
      return store ? JSON.parse(store.getItem(WHO) || "null") : null;
    } catch (error) {
      return null;
    }
  }

  function remember(key, who) {
    var store = storage();
    if (!store) {
      throw new Error("This browser does not allow session storage, which signing in needs.");
    }
    store.setItem(KEY, key);
    store.setItem(WHO, JSON.stringify(who));
  }

  function forget() {
    var store = storage();
    if (store) {
      store.removeItem(KEY);
      store.removeItem(WHO);
      store.removeItem(DRAFT_NAME);
    }
  }

  // Text pasted from a word processor, a PDF or a web page can hold characters nobody sees:
  // Word's line break (U+000B), page breaks, line and paragraph separators, zero-width
  // spaces, soft hyphens, byte-order marks, direction overrides. The API refuses them
  // (SECURITY.md, "Hostile input"), and a user cannot find them to delete them, so the forms
  // send what the user sees: breaks become line breaks (spaces on a one-line field), the
  // invisible characters go. Joiners (U+200C, U+200D), which some scripts spell with, stay.
  var PASTED_BREAKS = /\r\n?|[\u000b\u000c\u0085\u2028\u2029]/g;
  var PASTED_INVISIBLE =
    /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u00ad\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g;

  function tidy(value, oneLine) {
    var text = value.replace(PASTED_BREAKS, "\n").replace(PASTED_INVISIBLE, "");
    if (oneLine) {
      text = text.replace(/\s*\n\s*/g, " ");
    }
    return text.trim();
  }

  // One place that talks to the server: JSON in, the key in the header, no cookies.
  function request(method, url, options) {
    options = options || {};
    var headers = { Accept: options.accept || "application/json" };
    var key = options.key || currentKey();
    if (key) {
      headers.Authorization = "Bearer " + key;
    }
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    if (options.version !== undefined && options.version !== null) {
      headers["If-Match"] = '"' + options.version + '"';
    }
    return fetch(url, {
      method: method,
      headers: headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "omit",
      cache: "no-store",
    });
  }

  function problemOf(response) {
    return response
      .json()
      .catch(function () {
        return {};
      })
      .then(function (problem) {
        problem.status = response.status;
        problem.detail = problem.detail || response.statusText || "The request failed.";
        return problem;
      });
  }

  // A problem in a form's error box: the lead and the detail, then one item for each error
  // that `describe` gives a text (null leaves it out); the box is shown and takes the focus.
  function showProblem(errors, lead, problem, describe) {
    errors.replaceChildren();
    var heading = document.createElement("p");
    heading.textContent = lead + problem.detail;
    errors.appendChild(heading);
    var list = document.createElement("ul");
    (problem.errors || []).forEach(function (error) {
      var text = describe(error);
      if (text === null) {
        return;
      }
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    if (list.children.length) {
      errors.appendChild(list);
    }
    errors.hidden = false;
    errors.focus();
  }

  // A date of the API ("2027-01-03") as the pages write it: "3 Jan 2027", or with `fullMonth`
  // "3 January 2027" (wording.say_date).
  function dayText(iso, fullMonth) {
    var months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    var parts = String(iso).slice(0, 10).split("-");
    if (parts.length !== 3) {
      return String(iso);
    }
    var month = months[Number(parts[1]) - 1];
    return Number(parts[2]) + " " + (fullMonth ? month : month.slice(0, 3)) + " " + parts[0];
  }

  function announce(message, kind) {
    var status = document.getElementById("status");
    if (!status) {
      return;
    }
    status.textContent = message;
    status.className = "status status-" + (kind || "info");
    status.hidden = !message;
  }

  // A builder's address with one's own organisation kept in its proposal, as a signed-in
  // organisation builds a consortium (it coordinates the drafts it starts); one it had left
  // out is kept instead, since an organisation both kept and left out is refused. Any other
  // address, or a key that stands for no organisation, is left as it is.
  function withOwnOrganisation(path, who) {
    if (!who || !who.organisation_id || !/^\/ui\/calls\/\d+\/consortium(?:[?#]|$)/.test(path)) {
      return path;
    }
    var me = String(who.organisation_id);
    var url = new URL(path, location.origin);
    var excluded = url.searchParams.getAll("exclude").filter(function (id) {
      return id !== me;
    });
    url.searchParams.delete("exclude");
    excluded.forEach(function (id) {
      url.searchParams.append("exclude", id);
    });
    if (url.searchParams.getAll("include").indexOf(me) === -1) {
      url.searchParams.append("include", me);
    }
    return url.pathname + url.search + url.hash;
  }

  // Links to a call's builder ([data-builder-link], in the page or in a fragment loaded
  // later, such as a draft's "Back to the builder") propose with one's own organisation kept.
  function linkBuilders(root, who) {
    root.querySelectorAll("[data-builder-link]").forEach(function (element) {
      element.href = withOwnOrganisation(element.getAttribute("data-builder-link"), who);
    });
  }

  // Where a key's holder starts: its organisation's profile; an admin, every draft; a call
  // publisher, which has no drafts, the calls.
  function homeOf(who) {
    if (who && who.organisation_id) {
      return "/ui/organisations/" + who.organisation_id;
    }
    return who && who.role === "publisher" ? "/ui/calls" : "/ui/drafts";
  }

  function signInUrl() {
    return "/ui/sign-in?next=" + encodeURIComponent(location.pathname + location.search + location.hash);
  }

  // Show what fits the signed-in state: [data-when="signed-in"] or [data-when="signed-out"].
  function applySession() {
    var who = currentKey() ? currentWho() : null;
    document.querySelectorAll("[data-when]").forEach(function (element) {
      var wanted = element.getAttribute("data-when") === "signed-in";
      element.hidden = wanted !== Boolean(who);
    });
    document.querySelectorAll("[data-who-name]").forEach(function (element) {
      element.textContent = who ? who.organisation_name || KEY_WITHOUT_ORGANISATION[who.role] || who.role + " key" : "";
      // A long name is cut short in the header; the whole of it is its link's tooltip.
      var link = element.closest("a");
      if (link) {
        link.title = element.textContent ? "Signed in as " + element.textContent : "";
      }
    });
    // Who is signed in, said in a sentence ("You are signed in as a call publisher: ...").
    document.querySelectorAll("[data-who-said]").forEach(function (element) {
      if (who) {
        element.textContent = who.organisation_name || KEY_WITHOUT_ORGANISATION[who.role] || who.role + " key";
      }
    });
    document.querySelectorAll("[data-who-link]").forEach(function (element) {
      element.href = homeOf(who);
    });
    var admin = Boolean(who) && who.role === "admin";
    // "Contact" is for other organisations: never beside one's own, and never for an admin's
    // or a publisher's key, which writes for no organisation (the API answers 403).
    document.querySelectorAll("[data-not-self]").forEach(function (element) {
      if (who && (!who.organisation_id || String(who.organisation_id) === element.getAttribute("data-not-self"))) {
        element.hidden = true;
      }
    });
    // Said of one's own organisation where others get "Contact" (an admin's key has none).
    document.querySelectorAll("[data-self-only]").forEach(function (element) {
      element.hidden = !who || String(who.organisation_id) !== element.getAttribute("data-self-only");
    });
    document.querySelectorAll("[data-owner-only]").forEach(function (element) {
      var owner = element.getAttribute("data-owner-only");
      element.hidden = !who || (who.role !== "admin" && String(who.organisation_id) !== owner);
    });
    linkBuilders(document, who);
    document.querySelectorAll("[data-sign-in-link]").forEach(function (element) {
      if (location.pathname !== "/ui/sign-in") {
        element.href = signInUrl();
      }
    });
    // Words and actions for an admin's key ("this organisation", not "your"), and those that
    // only an organisation's own key can use.
    document.querySelectorAll("[data-admin-only]").forEach(function (element) {
      element.hidden = !admin;
    });
    // What only a key of one role is told, such as a publisher's (data-role-only="publisher").
    document.querySelectorAll("[data-role-only]").forEach(function (element) {
      element.hidden = !who || who.role !== element.getAttribute("data-role-only");
    });
    // What only an organisation's key can do (start a draft), and what other keys read instead.
    document.querySelectorAll("[data-organisation-key]").forEach(function (element) {
      if (who && !who.organisation_id) {
        element.hidden = true;
      }
    });
    document.querySelectorAll("[data-no-organisation-key]").forEach(function (element) {
      element.hidden = !who || Boolean(who.organisation_id);
    });
    document.querySelectorAll("[data-not-admin]").forEach(function (element) {
      if (admin) {
        element.hidden = true;
      }
    });
    showWaiting(who);
    showClaimsWaiting(who);
    return who;
  }

  // A menu link's count of what waits: its badge shows the number and its name says it to a
  // screen reader ("Inbox, 2 waiting for your answer"); neither says anything when none waits.
  function showMenuCount(links, badgeSelector, waiting, name) {
    links.forEach(function (link) {
      var badge = link.querySelector(badgeSelector);
      badge.textContent = waiting ? String(waiting) : "";
      badge.hidden = !waiting;
      if (waiting) {
        link.setAttribute("aria-label", name(waiting));
      } else {
        link.removeAttribute("aria-label");
      }
      link.removeAttribute("aria-busy");
    });
  }

  // One small request for a menu's count: `count` reads it from the answer; a refusal or a
  // failure counts none, and an answer that comes after the tab signed out is dropped.
  function askMenuCount(links, url, count, show) {
    var key = currentKey();
    links.forEach(function (link) {
      link.setAttribute("aria-busy", "true");
    });
    request("GET", url)
      .then(function (response) {
        return response.ok ? response.json().then(count) : 0;
      })
      .catch(function () {
        return 0;
      })
      .then(function (waiting) {
        // Signed out meanwhile, the menu was cleared then: this answer is no longer the tab's.
        if (currentKey() === key) {
          show(waiting);
        }
      });
  }

  // The menu's "Inbox" says how many requests wait for the organisation's answer: one small
  // request (GET /inbox/waiting) a page, none signed out or with a key of no organisation (an
  // admin's, a publisher's: no inbox); the inbox asks again after each change made in it.
  function showWaiting(who) {
    var links = document.querySelectorAll("[data-inbox-link]");
    function show(waiting) {
      showMenuCount(links, "[data-inbox-waiting]", waiting, function (count) {
        return "Inbox, " + count + " waiting for your answer";
      });
    }
    if (!links.length || !who || !who.organisation_id) {
      show(0);
      return;
    }
    askMenuCount(links, "/inbox/waiting", function (answer) {
      return answer.waiting;
    }, show);
  }

  // The administrator's "Claims" says how many claims wait for an administrator: the total of
  // one small request (GET /admin/claims?status=pending&limit=1) a page, none for other keys;
  // the claims page asks again after each claim confirmed or refused.
  function showClaimsWaiting(who) {
    var links = document.querySelectorAll("[data-claims-link]");
    function show(waiting) {
      showMenuCount(links, "[data-claims-waiting]", waiting, function (count) {
        return "Claims, " + count + " waiting for an administrator";
      });
    }
    if (!links.length || !who || who.role !== "admin") {
      show(0);
      return;
    }
    askMenuCount(links, "/admin/claims?status=pending&limit=1", function (answer) {
      return answer.total;
    }, show);
  }

  // Private fragments (drafts) are rendered by the server for the key in the header.
  function loadFragment(container) {
    var url = container.getAttribute("data-fragment");
    var key = currentKey();
    container.setAttribute("aria-busy", "true");
    return request("GET", url, { accept: "text/html", key: key })
      .then(function (response) {
        if (!response.ok) {
          return problemOf(response).then(function (problem) {
            // Asked with a key this tab has replaced since (its owner replaced it while the
            // fragment loaded): ask again with the new one rather than sign the tab out.
            if (problem.status === 401 && key && currentKey() && key !== currentKey()) {
              return loadFragment(container);
            }
            showFragmentProblem(container, problem);
            return false;
          });
        }
        return response.text().then(function (html) {
          container.innerHTML = html;
          linkBuilders(container, currentKey() ? currentWho() : null);
          // A link to a part of the fragment (#email-preference) lands there once it is in.
          var target = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
          if (target && container.contains(target) && !container.hasAttribute("data-landed")) {
            container.setAttribute("data-landed", "");
            target.scrollIntoView();
          }
          return true;
        });
      })
      .catch(function () {
        showFragmentProblem(container, { detail: "The server could not be reached.", status: 0 });
        return false;
      })
      .finally(function () {
        container.removeAttribute("aria-busy");
      });
  }

  function showFragmentProblem(container, problem) {
    var box = document.createElement("div");
    box.className = "notice notice-error";
    var text = document.createElement("p");
    if (problem.status === 401) {
      text.textContent = "Your key is no longer valid. Sign in again.";
      forget();
      applySession();
      // The panel is usually hidden now with the page's signed-in parts: say why above them.
      announce("You were signed out: this tab's key is no longer valid (it was replaced or revoked). Sign in again with your current key.", "error");
    } else if (problem.status === 403 && KEY_WITHOUT_ORGANISATION[(currentWho() || {}).role]) {
      // An inbox or saved searches: an admin's or a publisher's key acts for no organisation.
      var holder = (currentWho() || {}).role === "admin" ? "an administrator's" : "a call publisher's";
      text.textContent = "This belongs to an organisation, and " + holder + " key acts for none: sign in with the organisation's own key to see it.";
    } else if (problem.status === 403) {
      text.textContent = "This belongs to another organisation: sign in with its key to see it.";
    } else if (problem.status === 404 && container.hasAttribute("data-missing")) {
      // The page's own words for what is gone, and where to go instead.
      text.textContent = container.getAttribute("data-missing") + " ";
      var elsewhere = document.createElement("a");
      elsewhere.href = container.getAttribute("data-missing-link");
      elsewhere.textContent = container.getAttribute("data-missing-link-text");
      text.appendChild(elsewhere);
    } else {
      text.textContent = problem.detail;
    }
    box.appendChild(text);
    container.replaceChildren(box);
  }

  // Where signing in leads: the page it was asked from (a builder's with one's organisation
  // kept in its proposal), else the organisation's own profile (its partner requests to
  // answer, its contact address), else (an admin) the drafts, else (a publisher) the calls.
  function safeNext(who) {
    var next = new URLSearchParams(location.search).get("next") || "";
    // Only paths on this site: no scheme, no host, no protocol-relative "//".
    if (/^\/ui\/[^/\\]/.test(next) || next === "/ui/") {
      return withOwnOrganisation(next, who);
    }
    return homeOf(who);
  }

  function setupSignIn() {
    var form = document.getElementById("sign-in-form");
    if (!form) {
      return;
    }
    var error = document.getElementById("sign-in-error");
    var field = form.elements.key;
    var slot = document.getElementById("key-error");

    // A missing or refused key is the field's error: it is marked and its message, beside it,
    // is in its description, as on the registration form; any other failure (the site busy or
    // unreachable) is the form's, at its top.
    var showError = errorShower(field, slot, error);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var key = field.value.trim();
      error.hidden = true;
      slot.hidden = true;
      slot.textContent = "";
      field.removeAttribute("aria-invalid");
      if (!key) {
        showError("Paste your organisation key.", true);
        return;
      }
      request("GET", "/ui/session", { key: key })
        .then(function (response) {
          if (!response.ok) {
            return problemOf(response).then(function (problem) {
              if (problem.status === 401) {
                showError("This key is not valid: it is unknown, mistyped or revoked.", true);
              } else {
                showError(problem.detail, false);
              }
              return null;
            });
          }
          return response.json().then(function (who) {
            remember(key, who);
            form.reset();
            location.assign(safeNext(who));
          });
        })
        .catch(function (failure) {
          showError(failure.message, false);
        });
    });
  }

  // How a one-field form shows a refusal: the field's own (`atField`) marked invalid, said in
  // `slot` (in the field's description) and focused; any other in the form's `box`, focused.
  function errorShower(field, slot, box) {
    return function (message, atField) {
      if (atField) {
        field.setAttribute("aria-invalid", "true");
        slot.textContent = message;
        slot.hidden = false;
        field.focus();
        return;
      }
      box.textContent = message;
      box.hidden = false;
      box.focus();
    };
  }

  function setupSignOut() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action='sign-out']");
      if (!button) {
        return;
      }
      forget();
      applySession();
      announce("Signed out: this tab no longer holds your key.", "info");
      // The button is gone with the signed-in menu: the keyboard goes on from "Sign in", which
      // takes its place, rather than from the top of the page.
      var signIn = document.querySelector("[data-sign-in-link]");
      if (signIn && signIn.offsetParent !== null) {
        signIn.focus();
      }
    });
  }

  // The builder: "propose with my organisation in it", and creating a draft from a proposal.
  function setupBuilder(who) {
    var includeMe = document.querySelector("[data-include-me]");
    if (includeMe && who && who.organisation_id) {
      var me = String(who.organisation_id);
      var included = (includeMe.getAttribute("data-included") || "").split(",");
      if (included.indexOf(me) === -1) {
        includeMe.href = withOwnOrganisation(includeMe.getAttribute("data-builder-url"), who);
        includeMe.hidden = false;
        includeMe.setAttribute("data-pin", "keep");
        includeMe.setAttribute("data-organisation-id", me);
        includeMe.setAttribute("data-name", who.organisation_name || "your organisation");
      }
    }
    setupBuilderSteps();
    var form = document.getElementById("draft-form");
    if (!form) {
      return;
    }
    // "Start a draft from it" takes the keyboard to the form it points to, not only the view:
    // to the draft's name when the form shows, else to the heading above the sign-in it needs.
    var start = document.querySelector("[data-start-draft]");
    if (start) {
      start.addEventListener("click", function (event) {
        event.preventDefault();
        if (!form.hidden) {
          form.elements.name.focus();
          announce("Start a draft: name it, choose what it starts from, then “Create draft”.", "info");
          return;
        }
        document.getElementById("draft-heading").focus();
        var needsOrganisation = document.getElementById("draft-needs-organisation");
        announce(
          needsOrganisation && !needsOrganisation.hidden
            ? "Start a draft: sign in with an organisation's key to start one."
            : "Start a draft: sign in with your organisation key first.",
          "info",
        );
      });
    }
    keepDraftName(form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var me = currentWho();
      var chosen = form.querySelector("input[name='proposal']:checked");
      var ids = chosen.hasAttribute("data-only-mine")
        ? [me && me.organisation_id].filter(Boolean)
        : chosen.getAttribute("data-members").split(",").filter(Boolean).map(Number);
      var members = ids.map(function (id) {
        return {
          organisation_id: id,
          role: me && me.organisation_id === id ? "coordinator" : "partner",
        };
      });
      var button = form.querySelector("button[type='submit']");
      button.disabled = true;
      announce("Creating the draft…", "info");
      request("POST", "/consortia", {
        body: {
          name: form.elements.name.value.trim(),
          call_id: Number(form.getAttribute("data-call-id")),
          members: members,
        },
      })
        .then(function (response) {
          if (!response.ok) {
            return problemOf(response).then(function (problem) {
              throw new Error(problem.detail);
            });
          }
          return response.json();
        })
        .then(function (draft) {
          var store = storage();
          if (store) {
            store.removeItem(DRAFT_NAME);
          }
          location.assign("/ui/consortia/" + draft.id);
        })
        .catch(function (failure) {
          button.disabled = false;
          announce("The draft was not created: " + failure.message, "error");
          document.getElementById("status").focus();
        });
    });
  }

  // After "Keep", "Stop keeping", "Leave out" or "Put back" ([data-pin] links: the builder
  // loads again at the new address), the keyboard is where the organisation now is, on its
  // next step ("Keep" leads to its "Stop keeping", "Leave out" to its "Put back"), and the
  // status says what was done; where the organisation is no longer proposed, the status takes
  // the focus and says so. An address the builder refused takes the focus to its reason.
  var BUILDER_STEPS = {
    keep: { next: "stop-keeping", done: "Kept %s in every proposal." },
    "stop-keeping": { next: "keep", done: "Stopped keeping %s in every proposal.", gone: true },
    "leave-out": { next: "put-back", done: "Left out %s." },
    "put-back": { next: "keep", done: "Put back %s.", gone: true },
  };

  function setupBuilderSteps() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-pin]");
      // A link opened in another tab or window leaves this page as it is.
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
        return;
      }
      var step = BUILDER_STEPS[link.getAttribute("data-pin")];
      var id = link.getAttribute("data-organisation-id");
      var done = step.done.replace("%s", link.getAttribute("data-name"));
      var next = "[data-pin='" + step.next + "'][data-organisation-id='" + id + "']";
      sayOnArrival(step.gone ? done + " It is not in the proposed consortium now." : "", [
        ["#builder-error", ""],
        [next, done],
      ]);
    });
  }

  // A link to a row of a table takes the focus there, not only the view: "Show more" leads to
  // the first new suggestion (#suggestion-21), and a screen reader and the next Tab go on from
  // it, where they went back to the top of the page or the list. Only a row made to take the
  // focus (tabindex="-1", out of the Tab order) takes it. Chromium focuses such a target by
  // itself, as the HTML standard says a fragment's target is; this is for a browser that only
  // scrolls to it.
  function focusLinkedRow() {
    var id = "";
    try {
      id = decodeURIComponent(location.hash.slice(1));
    } catch (error) {
      return;
    }
    var row = id ? document.getElementById(id) : null;
    if (row && row.matches("tr[tabindex='-1']")) {
      row.focus();
    }
  }

  // "Keep", "Stop keeping", "Leave out" and "Put back" are links that load the builder again (so a proposal
  // has an address of its own): the draft name typed meanwhile is kept for this tab, for this
  // call, until the draft is created.
  function keepDraftName(form) {
    var store = storage();
    var field = form.elements.name;
    var call = form.getAttribute("data-call-id");
    if (!store) {
      return;
    }
    var kept = null;
    try {
      kept = JSON.parse(store.getItem(DRAFT_NAME) || "null");
    } catch (error) {
      kept = null;
    }
    if (kept && kept.call === call && kept.name) {
      field.value = kept.name;
    }
    field.addEventListener("input", function () {
      if (field.value === field.defaultValue) {
        store.removeItem(DRAFT_NAME);
      } else {
        store.setItem(DRAFT_NAME, JSON.stringify({ call: call, name: field.value }));
      }
    });
  }

  // The draft editor: every change goes to the JSON API with the draft's version (If-Match),
  // then the panel is rendered again by the server.
  function setupDraft() {
    var panel = document.getElementById("draft-panel");
    if (!panel || panel.hidden) {
      return;
    }
    var consortiumId = panel.getAttribute("data-consortium-id");

    function version() {
      var draft = panel.querySelector("[data-draft]");
      return draft ? draft.getAttribute("data-version") : null;
    }

    // What was typed in the panel's forms (a pitch, the finder's words, type and results)
    // survives the panel being rendered again after a change; the new name, once sent, does
    // not need to.
    function typed() {
      var kept = { fields: {}, finder: null };
      panel.querySelectorAll("form textarea, form input[type='search'], form select").forEach(function (field) {
        if (field.id && field.value) {
          kept.fields[field.id] = field.value;
        }
      });
      var results = panel.querySelector("#finder-results");
      kept.finder = results && results.children.length ? results.getAttribute("data-fragment") : null;
      return kept;
    }

    function restore(kept) {
      Object.keys(kept.fields).forEach(function (id) {
        var field = document.getElementById(id);
        if (field && panel.contains(field)) {
          field.value = kept.fields[id];
          var form = field.closest("form[data-guard-typing]");
          if (form) {
            form.setAttribute("data-unsent", "");
          }
        }
      });
      var results = panel.querySelector("#finder-results");
      if (kept.finder && results) {
        results.setAttribute("data-fragment", kept.finder);
        return loadFragment(results);
      }
      return null;
    }

    function reload(message, kind, focusTarget) {
      var kept = typed();
      return loadFragment(panel).then(function (loaded) {
        if (loaded) {
          restore(kept);
        }
        // The breadcrumb and the tab's title name the draft, as its heading does.
        var title = panel.querySelector("#draft-title");
        if (loaded && title) {
          document.querySelector("[data-draft-crumb]").textContent = title.textContent;
          document.title = title.textContent + " · matchmaker";
        }
        if (loaded && message) {
          announce(message, kind);
        }
        var target = focusTarget && panel.querySelector(focusTarget);
        if (target) {
          target.focus();
        }
      });
    }

    // A refused change leaves its button usable again, and its refusal (which says what to do
    // first) is brought into view.
    function change(method, url, body, done, button) {
      announce("Saving…", "info");
      return request(method, url, { body: body, version: version() }).then(function (response) {
        if (response.ok) {
          return reload(done, "ok", "#coverage-summary");
        }
        return problemOf(response).then(function (problem) {
          if (problem.status === 412) {
            return reload("The draft was changed elsewhere; here it is as it is now. Try again.", "error");
          }
          if (button) {
            button.disabled = false;
          }
          announce("Not saved: " + problem.detail, "error");
          // The message is at the top of the page, out of sight below a long member list.
          document.getElementById("status").focus();
        });
      });
    }

    panel.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (!button) {
        return;
      }
      var action = button.getAttribute("data-action");
      var organisationId = button.getAttribute("data-organisation-id");
      var name = button.getAttribute("data-name");
      var memberUrl = "/consortia/" + consortiumId + "/members/" + organisationId;
      if (action === "add-member") {
        // Never a role change in disguise: PUT on a member would make the coordinator a partner.
        if (panel.querySelector("#member-table tr[data-organisation-id='" + organisationId + "']")) {
          announce(name + " is already in the draft.", "info");
          return;
        }
        button.disabled = true;
        change("PUT", memberUrl, { role: "partner" }, "Added " + name + ".", button);
      } else if (action === "more-organisations") {
        var found = panel.querySelector("#finder-results");
        found.setAttribute("data-fragment", button.getAttribute("data-url"));
        loadFragment(found).then(function () {
          var first = found.querySelector("[data-first-new]");
          if (first) {
            first.focus();
          }
        });
      } else if (action === "remove-member") {
        // No undo brings a member back, so the page asks first. The coordinator's row has no
        // Remove: the API never removes it, and the row says what to do instead.
        if (!window.confirm("Remove " + name + " from the draft? To have it back, find it under “Add an organisation” and add it again.")) {
          return;
        }
        button.disabled = true;
        change("DELETE", memberUrl, undefined, "Removed " + name + ".", button);
      } else if (action === "set-role") {
        button.disabled = true;
        change("PUT", memberUrl, { role: button.getAttribute("data-role") }, name + " is now the coordinator.", button);
      } else if (action === "export") {
        exportDraft(consortiumId, button.getAttribute("data-format"));
      } else if (action === "withdraw-request") {
        if (!window.confirm("Withdraw this partner request? It leaves the call's page and can no longer be answered.")) {
          return;
        }
        button.disabled = true;
        announce("Withdrawing…", "info");
        request("DELETE", "/partner-requests/" + button.getAttribute("data-request-id")).then(function (response) {
          if (response.ok) {
            return reload("Withdrew your partner request: it is no longer listed on the call's page.", "ok", "#draft-requests-heading");
          }
          return problemOf(response).then(function (problem) {
            button.disabled = false;
            announce("Not withdrawn: " + problem.detail, "error");
          });
        });
      } else if (action === "delete-draft") {
        if (!window.confirm("Delete this draft? The organisations stay.")) {
          return;
        }
        request("DELETE", "/consortia/" + consortiumId, { version: version() }).then(function (response) {
          if (response.ok) {
            location.assign("/ui/drafts");
          } else {
            problemOf(response).then(function (problem) {
              announce("Not deleted: " + problem.detail, "error");
            });
          }
        });
      }
    });

    panel.addEventListener("submit", function (event) {
      var publish = event.target.closest("form[data-action='publish-request']");
      if (publish) {
        event.preventDefault();
        publishGaps(publish);
        return;
      }
      var rename = event.target.closest("form[data-action='rename-draft']");
      if (rename) {
        event.preventDefault();
        var newName = rename.elements.name.value.trim();
        change("PATCH", "/consortia/" + consortiumId, { name: newName }, "Renamed the draft to " + newName + ".");
        return;
      }
      var form = event.target.closest("form[data-action='find-organisations']");
      if (!form) {
        return;
      }
      event.preventDefault();
      var results = panel.querySelector("#finder-results");
      var query = form.elements.q.value.trim();
      results.setAttribute(
        "data-fragment",
        "/ui/consortia/" + consortiumId + "/organisation-picker?q=" + encodeURIComponent(query) +
          "&stakeholder_type=" + encodeURIComponent(form.elements.stakeholder_type.value),
      );
      loadFragment(results);
    });

    // The draft's missing stakeholder types, published as a partner request for its call.
    function publishGaps(form) {
      var button = form.querySelector("button[type='submit']");
      button.disabled = true;
      announce("Publishing…", "info");
      request("POST", "/consortia/" + consortiumId + "/partner-requests", {
        body: { expertise: form.elements.expertise.value.trim(), pitch: form.elements.pitch.value.trim() },
      })
        .then(function (response) {
          if (!response.ok) {
            return problemOf(response).then(function (problem) {
              throw new Error(problem.detail);
            });
          }
          return response.json().then(function (created) {
            form.reset();
            return reload(
              "Published your partner request: it is listed under “Looking for partners” on the call's page, open until " +
                (created.closes_on ? dayText(created.closes_on) : "the call's deadline") +
                ".",
              "ok",
            );
          });
        })
        .catch(function (failure) {
          announce("Not published: " + failure.message, "error");
        })
        .finally(function () {
          button.disabled = false;
          document.getElementById("status").focus();
        });
    }

    reload();
  }

  // Writing to an organisation (POST /organisations/{id}/contact-requests) or answering its
  // partner request (POST /partner-requests/{id}/interest).
  function setupContactForm() {
    var form = document.getElementById("contact-form");
    if (!form) {
      return;
    }
    var errors = document.getElementById("contact-errors");
    var message = form.elements.message;
    var slot = document.getElementById("message-error");
    var count = form.querySelector("[data-message-count]");
    var limit = Number(message.getAttribute("maxlength"));

    function counted() {
      var left = limit - message.value.length;
      count.textContent = left === limit ? "" : left + " characters left.";
    }
    message.addEventListener("input", counted);

    function showError(problem) {
      showProblem(errors, "Not sent: ", problem, function (error) {
        if (error.message === problem.detail) {
          return null; // said once, in the lead
        }
        return (error.field === "message" ? "Your message: " : "") + error.message;
      });
    }

    // What is wrong with the message itself is said beside it too, in its description, and
    // the field is marked; typing clears both (setupFieldErrors).
    function markMessage(text) {
      message.setAttribute("aria-invalid", "true");
      slot.textContent = text;
      slot.hidden = false;
    }

    // Before the form: whether this organisation can be written to now (not one's own, no
    // earlier request still waiting); the form is shown only if so, or if that is unknown.
    var check = document.getElementById("contact-check");
    var writing = document.getElementById("contact-writing");
    var who = currentKey() ? currentWho() : null;
    if (who && !who.organisation_id) {
      // An admin's or a publisher's key writes for no organisation: the page says so instead
      // of the form.
      if (check) {
        check.replaceChildren();
      }
      return;
    }
    if (check && writing && who) {
      check.setAttribute("aria-busy", "true");
      request("GET", check.getAttribute("data-check"), { accept: "text/html" })
        .then(function (response) {
          return response.ok ? response.text() : "";
        })
        .catch(function () {
          return "";
        })
        .then(function (html) {
          check.innerHTML = html;
          writing.hidden = Boolean(check.querySelector("[data-contact-obstacle]"));
          check.removeAttribute("aria-busy");
        });
      // Writing from a call's page: the writer's drafts for that call, to name one.
      var drafts = document.getElementById("contact-drafts");
      if (drafts) {
        drafts.setAttribute("data-fragment", drafts.getAttribute("data-drafts"));
        loadFragment(drafts).then(function (loaded) {
          if (!loaded) {
            drafts.replaceChildren(); // the message can still be sent, naming the call
          }
        });
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errors.hidden = true;
      message.removeAttribute("aria-invalid");
      slot.hidden = true;
      slot.textContent = "";
      if (!message.value.trim()) {
        markMessage("Write your message first.");
        showError({ detail: "write your message first." });
        return;
      }
      // An answer to a partner request goes to its publisher; any other message names its call.
      var partnerRequestId = form.getAttribute("data-partner-request-id");
      var url = "/partner-requests/" + partnerRequestId + "/interest";
      var body = { message: tidy(message.value, false) };
      if (!partnerRequestId) {
        url = "/organisations/" + form.getAttribute("data-organisation-id") + "/contact-requests";
        body.call_id = Number(form.getAttribute("data-call-id"));
        var named = form.querySelector("input[name='consortium_id']:checked");
        var consortiumId = named ? named.value : form.getAttribute("data-consortium-id");
        if (consortiumId) {
          body.consortium_id = Number(consortiumId);
        }
      }
      var submit = form.querySelector("button[type='submit']");
      submit.disabled = true;
      request("POST", url, { body: body })
        .then(function (response) {
          if (!response.ok) {
            return problemOf(response).then(function (problem) {
              if (problem.status === 401) {
                problem.detail = "your key is no longer valid. Sign in again.";
              }
              var said = (problem.errors || []).filter(function (error) { return error.field === "message"; });
              if (said.length) {
                markMessage(said.map(function (error) { return error.message; }).join(" "));
              }
              showError(problem);
            });
          }
          form.removeAttribute("data-unsent");
          form.hidden = true;
          var sent = document.getElementById("contact-sent");
          // What the check said about who reads it (no one yet, or not by e-mail), said again
          // where the sent notice takes the focus.
          (check ? check.querySelectorAll("[data-after-sent]") : []).forEach(function (said) {
            var copy = said.cloneNode(true);
            copy.hidden = false;
            sent.appendChild(copy);
          });
          sent.hidden = false;
          sent.focus();
        })
        .catch(function () {
          showError({ detail: "the server could not be reached." });
        })
        .finally(function () {
          submit.disabled = false;
        });
    });
  }

  // The inbox: accept, decline, withdraw and block through the JSON API, then render it again.
  function setupInbox() {
    var panel = document.getElementById("inbox-panel");
    if (!panel || panel.hidden) {
      return;
    }
    var actions = {
      accept: function (button) {
        return ["POST", "/contact-requests/" + button.getAttribute("data-request-id") + "/accept", undefined,
          "Accepted. You and " + button.getAttribute("data-name") + " now see each other's contact address.",
          undefined, "accepted"];
      },
      decline: function (button) {
        return ["POST", "/contact-requests/" + button.getAttribute("data-request-id") + "/decline", undefined,
          "Declined. " + button.getAttribute("data-name") + " does not see your contact address."];
      },
      withdraw: function (button) {
        return ["POST", "/contact-requests/" + button.getAttribute("data-request-id") + "/withdraw", undefined,
          "Withdrew your request to " + button.getAttribute("data-name") + "."];
      },
      block: function (button) {
        return ["POST", "/inbox/blocks", { organisation_id: Number(button.getAttribute("data-organisation-id")) },
          "Blocked " + button.getAttribute("data-name") + ": your organisation receives no more requests from it."];
      },
      unblock: function (button) {
        return ["DELETE", "/inbox/blocks/" + button.getAttribute("data-organisation-id"), undefined,
          "Unblocked " + button.getAttribute("data-name") + "."];
      },
      // The draft's version goes with it (If-Match), as in the draft editor.
      "add-to-draft": function (button) {
        return ["PUT", "/consortia/" + button.getAttribute("data-consortium-id") + "/members/" +
          button.getAttribute("data-organisation-id"), { role: "partner" },
          "Added " + button.getAttribute("data-name") + " to your draft " + button.getAttribute("data-draft-name") + ".",
          button.getAttribute("data-version")];
      },
    };
    panel.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      var action = button && actions[button.getAttribute("data-action")];
      if (!action) {
        return;
      }
      var name = button.getAttribute("data-name");
      if (button.getAttribute("data-action") === "accept" &&
          !window.confirm(button.hasAttribute("data-no-address")
            ? "Accept the request from " + name + "? You will see their contact address, but your profile gives none: " + name + " will see no address of yours."
            : "Accept the request from " + name + "? Both contact addresses will be shared: " + name + " sees your organisation's address, and you see theirs.")) {
        return;
      }
      // A decline cannot be undone either, so it asks first too, as Accept does.
      if (button.getAttribute("data-action") === "decline" &&
          !window.confirm("Decline the request from " + name + "? This cannot be undone: " + name + " is told you declined, and neither of you sees the other's contact address.")) {
        return;
      }
      if (button.getAttribute("data-action") === "block" &&
          !window.confirm("Block " + name + "? Its requests waiting for an answer are declined, and it cannot write to you again until you unblock it.")) {
        return;
      }
      var call = action(button);
      button.disabled = true;
      announce("Saving…", "info");
      request(call[0], call[1], { body: call[2], version: call[4] }).then(function (response) {
        if (response.ok) {
          showWaiting(currentKey() ? currentWho() : null);
          return loadFragment(panel).then(function () {
            announce(call[3], "ok");
            var status = document.getElementById("status");
            // Accepted in a list of another status (those waiting, where the profile links), the
            // request leaves the list with the address and "Add to your draft": say where it went.
            var shown = new URL(panel.getAttribute("data-fragment"), location.origin).searchParams.get("status");
            if (call[5] && shown && shown !== call[5]) {
              var there = document.createElement("a");
              there.href = "/ui/inbox?status=" + call[5];
              there.textContent = "See it with the accepted requests";
              status.append(" ", there, ".");
            }
            status.focus();
          });
        }
        return problemOf(response).then(function (problem) {
          if (problem.status === 412) {
            return loadFragment(panel).then(function () {
              announce("Not done: the draft was changed elsewhere; here is the inbox as it is now. Try again.", "error");
              document.getElementById("status").focus();
            });
          }
          button.disabled = false;
          announce("Not done: " + problem.detail, "error");
          document.getElementById("status").focus();
        });
      }, function () {
        button.disabled = false;
        announce("Not done: the server could not be reached.", "error");
      });
    });
  }

  // A call's page: the publisher of a partner request withdraws it where it is listed.
  // Whether the signed-in organisation fits each partner request listed, in one fragment for
  // the list: the server's note for each it does not fit goes beside that request's Answer.
  function loadRequestFits(section, who) {
    var list = section.querySelector("[data-request-fits]");
    if (!list || !who || !who.organisation_id || !list.querySelector("[data-fit-slot]")) {
      return;
    }
    list.setAttribute("aria-busy", "true");
    request("GET", list.getAttribute("data-request-fits"), { accept: "text/html" })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .catch(function () {
        return "";
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html;
        holder.content.querySelectorAll("template[data-fit-for]").forEach(function (note) {
          var slot = list.querySelector('[data-fit-slot="' + note.getAttribute("data-fit-for") + '"]');
          if (slot) {
            slot.replaceChildren(note.content);
          }
        });
        list.removeAttribute("aria-busy");
      });
  }

  function setupCallRequests(who) {
    document.querySelectorAll("[data-publisher-only]").forEach(function (element) {
      element.hidden = !who || String(who.organisation_id) !== element.getAttribute("data-publisher-only");
    });
    var section = document.getElementById("partner-requests");
    if (!section) {
      return;
    }
    loadRequestFits(section, who);
    section.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action='withdraw-call-request']");
      if (!button || !window.confirm("Withdraw your partner request? It leaves this page and can no longer be answered.")) {
        return;
      }
      button.disabled = true;
      announce("Withdrawing…", "info");
      request("DELETE", "/partner-requests/" + button.getAttribute("data-request-id")).then(function (response) {
        if (!response.ok) {
          return problemOf(response).then(function (problem) {
            button.disabled = false;
            announce("Not withdrawn: " + problem.detail, "error");
          });
        }
        button.closest("li").remove();
        // As the server renders it: the count in brackets, and none at all once there are none.
        var count = section.querySelector("#partner-requests-heading .count");
        var left = count ? Math.max(Number(count.textContent.replace(/\D/g, "")) - 1, 0) : 0;
        if (count && left) {
          count.textContent = "(" + left + ")";
        } else if (count) {
          count.previousSibling.textContent = count.previousSibling.textContent.replace(/\s+$/, "");
          count.remove();
        }
        document.querySelectorAll("[data-jump-requests]").forEach(function (jump) {
          jump.textContent = "Looking for partners" + (left ? " (" + left + ")" : "");
        });
        // None left: the section says so at once, as it reads when the page is loaded again.
        if (!left) {
          ["ol.cards", "#answer-sign-in"].forEach(function (selector) {
            var listed = section.querySelector(selector);
            if (listed) {
              listed.remove();
            }
          });
          section.querySelector("[data-no-requests]").hidden = false;
        }
        announce("Withdrew your partner request: it is no longer listed here.", "ok");
        document.getElementById("partner-requests-heading").focus();
      }, function () {
        button.disabled = false;
        announce("Not withdrawn: the server could not be reached.", "error");
      });
    });
  }

  // "New since your last visit" on the list of calls, an enhancement: without the script the
  // list is the same, unmarked. This browser remembers (localStorage) when it last showed the
  // list, by the server's clock (#new-calls' data-shown-at), as the calls' created_at are. A
  // visit keeps the moment it started from while it goes on (in this tab, the list shown again
  // within VISIT_GAP_MS), so that its next page, another filter or a reload marks the same
  // calls; a new tab, or this one back after the gap, starts a new visit. A browser that never
  // showed the list marks nothing: a fresh database stored all its calls at once.
  var CALLS_SHOWN = "matchmaker.calls-shown";
  var CALLS_VISIT = "matchmaker.calls-visit";
  var VISIT_GAP_MS = 30 * 60 * 1000;

  function lastingStorage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null;
    }
  }

  // A moment of the page ("2026-12-05T09:30:00.123456Z") in milliseconds; NaN for anything else.
  function momentTime(moment) {
    return typeof moment === "string" && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(moment) ? Date.parse(moment.slice(0, 23) + "Z") : NaN;
  }

  // The day of a moment in this browser's time zone: "5 December", with its year when that is
  // not this year's.
  function visitDayText(moment) {
    var when = new Date(momentTime(moment));
    var pad = function (number) {
      return (number < 10 ? "0" : "") + number;
    };
    var text = dayText(when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate()), true);
    return when.getFullYear() === new Date().getFullYear() ? text.replace(/ \d+$/, "") : text;
  }

  function newCallsText(count, filtered, since) {
    var tail = " since your last visit on " + visitDayText(since) + ".";
    if (filtered) {
      return (count === 0 ? "None of these calls is" : count + " of these calls " + (count === 1 ? "is" : "are")) + " new" + tail;
    }
    return (count === 0 ? "No call is" : count === 1 ? "1 call is" : count + " calls are") + " new" + tail;
  }

  function setupNewCalls() {
    var sentence = document.getElementById("new-calls");
    var lasting = lastingStorage();
    var shownAt = sentence ? sentence.getAttribute("data-shown-at") : null;
    if (!sentence || !lasting || isNaN(momentTime(shownAt))) {
      return;
    }
    var session = storage();
    var visit = null;
    try {
      visit = JSON.parse((session && session.getItem(CALLS_VISIT)) || "null");
    } catch (error) {
      visit = null;
    }
    var ongoing = visit && momentTime(shownAt) - momentTime(visit.shown) < VISIT_GAP_MS;
    var since = ongoing ? visit.since : lasting.getItem(CALLS_SHOWN);
    since = isNaN(momentTime(since)) ? null : since;
    try {
      // Never back: another tab may have shown the list later than this page was made.
      if (!(lasting.getItem(CALLS_SHOWN) > shownAt)) {
        lasting.setItem(CALLS_SHOWN, shownAt);
      }
      if (session) {
        session.setItem(CALLS_VISIT, JSON.stringify({ since: since, shown: shownAt }));
      }
    } catch (error) {
      return; // storage refused: a visit it cannot remember marks nothing
    }
    if (since === null) {
      return;
    }
    document.querySelectorAll(".cards [data-created-at]").forEach(function (card) {
      var title = card.querySelector(".card-title");
      if (!title || !(card.getAttribute("data-created-at") > since)) {
        return;
      }
      var tag = document.createElement("span");
      tag.className = "badge badge-new";
      tag.textContent = "New";
      var meaning = document.createElement("span");
      meaning.className = "visually-hidden";
      meaning.textContent = " since your last visit";
      tag.appendChild(meaning);
      title.append(" ", tag);
    });
    sentence.setAttribute("aria-busy", "true");
    request("GET", sentence.getAttribute("data-same-calls") + "&created_after=" + encodeURIComponent(since))
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .catch(function () {
        return null;
      })
      .then(function (body) {
        sentence.removeAttribute("aria-busy");
        if (body && typeof body.total === "number") {
          sentence.textContent = newCallsText(body.total, sentence.hasAttribute("data-filtered"), since);
          sentence.hidden = false;
        }
      });
  }

  // Saved searches: the form saves one (POST /organisations/{id}/saved-searches), Delete
  // removes one; the panel is then rendered again by the server.
  function setupSavedSearches() {
    var panel = document.getElementById("saved-searches-panel");
    if (!panel || panel.hidden) {
      return;
    }

    function base() {
      var holder = panel.querySelector("[data-saved-searches]");
      return "/organisations/" + (holder ? holder.getAttribute("data-organisation-id") : "") + "/saved-searches";
    }

    // Once the panel is rendered again: the message in the page's status region, or, with
    // `beside`, in the status beside the form that was sent (the page's own is a screen away
    // from the e-mail choice on a phone), which takes the focus.
    function reload(message, focusTarget, beside) {
      return loadFragment(panel).then(function (loaded) {
        if (loaded) {
          var local = beside ? panel.querySelector(beside) : null;
          announce(local ? "" : message, "ok");
          if (local) {
            local.textContent = message;
            local.hidden = false;
          }
          var target = local || panel.querySelector(focusTarget);
          if (target) {
            target.focus();
          }
        }
      });
    }

    // The API's fields as the form labels them, for the problems it reports.
    var searchLabels = {
      target: "Tell me about",
      text: "What you look for",
      fits_profile: "Calls that fit our profile",
      stakeholder_types: "Stakeholder type",
      countries: "Country",
      programme: "Programme",
      threshold: "Relevance needed (%)",
    };

    // The form's control for each of the API's fields.
    var searchControls = {
      target: "target",
      text: "text",
      fits_profile: "fits_profile",
      stakeholder_types: "stakeholder_type",
      countries: "country",
      programme: "programme",
      threshold: "threshold",
    };

    // The API's rules across fields, said with the form's labels before anything is sent, with
    // the fields each concerns.
    function refusal(body) {
      if (body.fits_profile && body.target !== "calls") {
        return {
          detail: "“Calls that fit our profile” is for new calls only: choose “New calls” under “Tell me about”, or untick it.",
          fields: ["target", "fits_profile"],
        };
      }
      if (body.fits_profile && body.text) {
        return {
          detail: "With “Calls that fit our profile” ticked, your profile is the search: leave “What you look for” empty.",
          fields: ["fits_profile", "text"],
        };
      }
      if (!body.fits_profile && !body.text) {
        return { detail: "Fill in “What you look for”, or tick “Calls that fit our profile”.", fields: ["text", "fits_profile"] };
      }
      if (body.target === "calls" && body.countries.length) {
        return { detail: "Calls have no country: set “Country” to “Any country”.", fields: ["country"] };
      }
      if (body.target === "organisations" && body.programme) {
        return { detail: "Organisations have no programme: set “Programme” to “Any programme”.", fields: ["programme"] };
      }
      return null;
    }

    // The refusal is said once, at the top of the form; each field it concerns is marked and
    // described by it (before its own hint), until one of them is changed (`unmark`).
    function showErrors(form, problem, controls) {
      var box = form.querySelector("#saved-search-errors");
      showProblem(box, "Not saved: ", problem, function (error) {
        if (error.message === problem.detail) {
          return null;
        }
        var field = String(error.field).split(".")[0];
        return (searchLabels[field] ? searchLabels[field] + ": " : "") + error.message;
      });
      var names = controls || (problem.errors || []).map(function (error) {
        return searchControls[String(error.field).split(".")[0]];
      });
      names.forEach(function (name) {
        var input = name ? form.elements[name] : null;
        if (!input || input.getAttribute("aria-invalid") === "true") {
          return;
        }
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", (box.id + " " + (input.getAttribute("aria-describedby") || "")).trim());
      });
    }

    function unmark(form) {
      var box = form.querySelector("#saved-search-errors");
      form.querySelectorAll("[aria-invalid]").forEach(function (input) {
        input.removeAttribute("aria-invalid");
        var rest = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
          return id && id !== box.id;
        });
        if (rest.length) {
          input.setAttribute("aria-describedby", rest.join(" "));
        } else {
          input.removeAttribute("aria-describedby");
        }
      });
    }

    function clearErrors(form) {
      var box = form.querySelector("#saved-search-errors");
      box.hidden = true;
      box.replaceChildren();
      unmark(form);
    }

    // A change to a field the refusal concerns may answer it: the refusal and its marks go
    // (it is checked again on Save), as a field's own error does (setupFieldErrors).
    function changed(event) {
      var form = event.target.closest && event.target.closest("form[data-action='save-search']");
      if (form && event.target.getAttribute("aria-invalid") === "true") {
        clearErrors(form);
      }
    }
    panel.addEventListener("input", changed, true);
    panel.addEventListener("change", changed, true);

    // A value the browser refuses (a relevance over 100%, say) is said by the browser: an
    // earlier refusal must not stay beside it.
    panel.addEventListener(
      "invalid",
      function (event) {
        var form = event.target.closest && event.target.closest("form[data-action='save-search']");
        if (form) {
          clearErrors(form);
        }
      },
      true,
    );

    panel.addEventListener("submit", function (event) {
      var form = event.target.closest("form[data-action='save-search']");
      if (!form) {
        return;
      }
      event.preventDefault();
      clearErrors(form);
      var fields = form.elements;
      var body = {
        target: fields.target.value,
        text: fields.text.value.trim(),
        fits_profile: fields.fits_profile.checked,
        stakeholder_types: fields.stakeholder_type.value ? [fields.stakeholder_type.value] : [],
        countries: fields.country.value ? [fields.country.value] : [],
        programme: fields.programme.value || null,
        // The page says relevance in percent, as every page shows it; the API takes 0 to 1.
        threshold: fields.threshold.value === "" ? 0.1 : Number(fields.threshold.value) / 100,
      };
      var refused = refusal(body);
      if (refused) {
        showErrors(form, { detail: refused.detail }, refused.fields);
        return;
      }
      var submit = form.querySelector("button[type='submit']");
      submit.disabled = true;
      announce("Saving…", "info");
      request("POST", base(), { body: body })
        .then(function (response) {
          if (response.ok) {
            return reload("Saved. You will hear of what fits it from now on.", "#searches-heading");
          }
          return problemOf(response).then(function (problem) {
            submit.disabled = false;
            announce("", "info");
            showErrors(form, problem);
          });
        })
        .catch(function () {
          submit.disabled = false;
          showErrors(form, { detail: "the server could not be reached." });
        });
    });

    // How often the organisation's notification e-mails go out.
    var emailWords = {
      immediately: "Saved: one e-mail for each new message, answer or match.",
      daily: "Saved: one e-mail a day listing them.",
      off: "Saved: no more e-mail. Messages and answers still wait in your inbox.",
    };
    panel.addEventListener("submit", function (event) {
      var form = event.target.closest("form[data-action='save-email']");
      if (!form) {
        return;
      }
      event.preventDefault();
      var errors = form.querySelector("#email-errors");
      errors.hidden = true;
      var chosen = form.querySelector("input[name='email']:checked");
      var holder = panel.querySelector("[data-saved-searches]");
      var url = "/organisations/" + holder.getAttribute("data-organisation-id") + "/notification-preferences";
      var submit = form.querySelector("button[type='submit']");
      submit.disabled = true;
      announce("Saving…", "info");
      request("PUT", url, { body: { email: chosen.value } })
        .then(function (response) {
          if (response.ok) {
            return reload(emailWords[chosen.value], "#email-heading", "#email-saved");
          }
          return problemOf(response).then(function (problem) {
            submit.disabled = false;
            announce("", "info");
            showProblem(errors, "Not saved: ", problem, function () {
              return null;
            });
          });
        })
        .catch(function () {
          submit.disabled = false;
          announce("", "info");
          showProblem(errors, "Not saved: ", { detail: "the server could not be reached." }, function () {
            return null;
          });
        });
    });

    panel.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action='delete-search']");
      if (!button || !window.confirm("Delete the saved search for " + button.getAttribute("data-name") + "? You will no longer be told of new matches.")) {
        return;
      }
      button.disabled = true;
      announce("Deleting…", "info");
      request("DELETE", base() + "/" + button.getAttribute("data-search-id")).then(function (response) {
        if (response.ok) {
          return reload("Deleted the saved search.", "#searches-heading");
        }
        return problemOf(response).then(function (problem) {
          button.disabled = false;
          announce("Not deleted: " + problem.detail, "error");
        });
      });
    });
  }

  // The owner's trust forms (confirm a profile is current, claim a CORDIS record): POST to the
  // JSON API with the key; a problem is shown in the page, each field's error beside it.
  function setupOwnerForm(who, prefix, send, done) {
    var form = document.getElementById(prefix + "-form");
    if (!form) {
      return;
    }
    var organisationId = form.getAttribute("data-organisation-id");
    var errors = document.getElementById(prefix + "-errors");
    var submit = form.querySelector("button[type='submit']");
    var owner = Boolean(who) && (who.role === "admin" || String(who.organisation_id) === organisationId);
    document.getElementById(prefix + "-not-owner").hidden = !who || owner;
    submit.disabled = !owner;

    function showError(problem) {
      showProblem(errors, "Not done: ", problem, function (error) {
        var input = form.elements[error.field];
        if (input) {
          input.setAttribute("aria-invalid", "true");
        }
        if (error.message === problem.detail) {
          return null;
        }
        return (input ? input.labels[0].textContent + ": " : "") + error.message;
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errors.hidden = true;
      form.querySelectorAll("[aria-invalid]").forEach(function (input) {
        input.removeAttribute("aria-invalid");
      });
      var call = send(form, organisationId);
      submit.disabled = true;
      request("POST", call[0], { body: call[1] })
        .then(function (response) {
          if (!response.ok) {
            return problemOf(response).then(function (problem) {
              if (problem.status === 401) {
                problem.detail = "your key is no longer valid. Sign in again.";
              } else if (problem.status === 403) {
                problem.detail = "only this organisation's own key can do this.";
              }
              showError(problem);
            });
          }
          return response.json().then(function (body) {
            form.hidden = true;
            var shown = document.getElementById(prefix + "-done");
            done(shown, body);
            shown.hidden = false;
            shown.focus();
          });
        })
        .catch(function () {
          showError({ detail: "the server could not be reached." });
        })
        .finally(function () {
          submit.disabled = !owner;
        });
    });
  }

  function setupTrustForms(who) {
    setupOwnerForm(who, "confirm", function (form, organisationId) {
      return ["/organisations/" + organisationId + "/confirm", undefined];
    }, function () {});
    setupOwnerForm(who, "claim", function (form, organisationId) {
      var body = { record: form.elements.record.value.trim() };
      var email = form.elements.email.value.trim();
      if (email) {
        body.email = email;
      }
      return ["/organisations/" + organisationId + "/claims", body];
    }, function (shown, claim) {
      var message = shown.querySelector("[data-claim-message]");
      message.textContent = claim.email
        ? "Claim made. We e-mailed a link to " + claim.email + ": the claim is confirmed when someone reading that address opens it and confirms."
        : "Claim made. An administrator will check and confirm it; until then nothing changes.";
      if (!claim.email && who && who.role === "admin") {
        // The administrator who would confirm it made it: confirm here, not through the API.
        message.textContent = "Claim made. Once you have checked that this organisation is the one CORDIS lists as " + claim.external_id + ", confirm it: the record then merges into this profile.";
        var button = shown.querySelector("[data-action='confirm-claim']");
        button.setAttribute("data-claim-id", claim.id);
        button.setAttribute("data-record", "the CORDIS record " + claim.external_id);
        button.closest("[hidden]").hidden = false;
      }
    });
    // An administrator confirms a claim (on the claim form, or in the list of claims waiting)
    // or refuses it (withdrawn, nothing changes); the list is read again after each.
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action='confirm-claim'], [data-action='refuse-claim']");
      if (!button) {
        return;
      }
      var confirming = button.getAttribute("data-action") === "confirm-claim";
      var claimId = button.getAttribute("data-claim-id");
      var panel = button.closest("[data-fragment]");
      // The claim in words, as the list's buttons are named: "X's claim to be Y".
      var claim = button.getAttribute("data-claimant-possessive") + " claim to be " + button.getAttribute("data-record");
      var question = confirming
        ? "Confirm that " + button.getAttribute("data-claimant") + " is " + button.getAttribute("data-record") + "? The record's projects join " + button.getAttribute("data-claimant-possessive") + " profile and the record is deleted; this cannot be undone."
        : "Refuse " + claim + "? It is withdrawn and nothing changes.";
      if (!window.confirm(question)) {
        return;
      }
      button.disabled = true;
      var url = confirming ? "/admin/claims/" + claimId + "/confirm" : "/claims/" + claimId + "/withdraw";
      request("POST", url)
        .then(function (response) {
          if (!response.ok) {
            return problemOf(response).then(function (problem) {
              button.disabled = false;
              announce((confirming ? "Not confirmed: " : "Not refused: ") + problem.detail, "error");
              if (panel && problem.status === 409) {
                // The claim was closed meanwhile: the list is read again, without it.
                loadFragment(panel);
                showClaimsWaiting(currentWho());
              }
            });
          }
          return response.json().then(function (body) {
            if (!panel) {
              location.assign("/ui/organisations/" + body.id);
              return;
            }
            announce(confirming ? "Claim confirmed: its record is now part of " + body.name + "." : "Refused " + claim + ": it is withdrawn and nothing changed.", "ok");
            loadFragment(panel);
            showClaimsWaiting(currentWho());
          });
        })
        .catch(function () {
          button.disabled = false;
          announce("Not saved: the server could not be reached.", "error");
        });
    });
  }

  // An administrator gives a country a new status (POST /admin/country-statuses with the key):
  // a new row of the table, taking over from its start date. The API's problems are shown
  // beside the fields they name, as on the profile form; the table is read again once saved.
  function setupCountryStatusForm() {
    var form = document.getElementById("country-status-form");
    if (!form) {
      return;
    }
    var summary = document.getElementById("country-status-errors");
    var submit = form.querySelector("button[type='submit']");
    var panel = document.getElementById("country-statuses-panel");

    function slotOf(field) {
      return document.getElementById("error-" + String(field).split(".")[0]);
    }

    function clearErrors() {
      clearFormErrors(form, summary);
    }

    // The control to mark and link to, and its label: a field's own, or for a group of boxes
    // ("Applies to") its first box and the group's legend.
    function controlOf(field) {
      var name = String(field).split(".")[0];
      var input = form.elements[name];
      if (!input) {
        return null;
      }
      if (input.id) {
        return { input: input, label: input.labels[0].textContent.replace("*", "").trim(), mark: true };
      }
      var first = input[0] || input;
      var legend = first.closest("fieldset").querySelector("legend");
      return { input: first, label: legend.textContent.replace("*", "").trim(), mark: false };
    }

    function showErrors(problem) {
      showFormErrors(summary, problem, "Not saved: " + problem.detail, function (field) {
        var control = controlOf(field);
        return control && { input: control.input, label: control.label, slot: slotOf(field), mark: control.mark };
      });
    }

    // A box ticked or cleared in a group takes its group's message away, as typing in a field
    // takes away that field's (setupFieldErrors).
    form.addEventListener("change", function (event) {
      if (event.target.type === "checkbox") {
        var slot = slotOf(event.target.name);
        slot.hidden = true;
        slot.textContent = "";
      }
    });

    function ticked(name) {
      return Array.prototype.map.call(form.querySelectorAll("input[name='" + name + "']:checked"), function (box) {
        return box.value;
      });
    }

    function chosenText(select) {
      return select.options[select.selectedIndex].textContent.trim();
    }

    // What the row says, in a sentence: "Morocco is an Associated Country for calls with a
    // deadline from 1 Jan 2026 on (the whole programme)", asked before saving and said after.
    function rowText(body) {
      var status = form.elements.status;
      var parts = Array.prototype.map.call(form.querySelectorAll("input[name='parts']:checked"), function (box) {
        return box.labels[0].textContent.trim();
      });
      var left = Array.prototype.map.call(form.querySelectorAll("input[name='except_parts']:checked"), function (box) {
        return box.labels[0].textContent.trim();
      });
      var covers = parts.join("; ") + (left.length ? ", except " + left.join("; ") : "");
      var when = body.valid_to
        ? "from " + dayText(body.valid_from) + " to " + dayText(body.valid_to)
        : "from " + dayText(body.valid_from) + " on";
      return chosenText(form.elements.country) + " is " +
        status.options[status.selectedIndex].getAttribute("data-phrase") + " for calls with a deadline " + when +
        " (" + covers.charAt(0).toLowerCase() + covers.slice(1) + ")";
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors();
      var body = {
        parts: ticked("parts"),
        except_parts: ticked("except_parts"),
        source: tidy(form.elements.source.value, true),
        note: tidy(form.elements.note.value, true),
      };
      // What is not chosen is left out, so that the API says it is required.
      ["country", "status", "valid_from", "valid_to"].forEach(function (name) {
        if (form.elements[name].value) {
          body[name] = form.elements[name].value;
        }
      });
      // A row is for good, so it is asked first; a form missing what the sentence needs goes
      // to the API as it is, which says what is missing beside the fields.
      var complete = body.country && body.status && body.valid_from && body.parts.length &&
        !(body.valid_to && body.valid_to < body.valid_from);
      if (complete && !window.confirm("Record that " + rowText(body) + "? Rows are never changed or deleted: a mistake is only undone by another row.")) {
        return;
      }
      submit.disabled = true;
      announce("Saving…", "info");
      request("POST", "/admin/country-statuses", { body: body })
        .then(function (response) {
          if (!response.ok) {
            return problemOf(response).then(function (problem) {
              announce("", "info");
              if (problem.status === 401) {
                problem.detail = "your key is no longer valid. Sign in again.";
              } else if (problem.status === 403) {
                problem.detail = "only an administrator's key can set a country's status.";
              }
              showErrors(problem);
            });
          }
          var message = "Saved: " + rowText(body) + ". Calls with an earlier deadline keep the status they had.";
          form.removeAttribute("data-unsent");
          form.reset();
          return loadFragment(panel).then(function () {
            announce(message, "ok");
            document.getElementById("status").focus();
          });
        })
        .catch(function () {
          announce("", "info");
          showErrors({ detail: "the server could not be reached." });
        })
        .finally(function () {
          submit.disabled = false;
        });
    });
  }

  // The draft's name as the server spelled it for a file: RFC 6266's filename* (UTF-8, the
  // name's own letters) when it sends one, else the ASCII filename.
  function filenameOf(response, fallback) {
    var header = response.headers.get("Content-Disposition") || "";
    var utf8 = /filename\*=UTF-8''([^;\s]+)/i.exec(header);
    if (utf8) {
      try {
        return decodeURIComponent(utf8[1]);
      } catch (error) {
        // A malformed escape: the ASCII name below still names the file.
      }
    }
    var match = /filename="([^"]+)"/.exec(header);
    return match ? match[1] : fallback;
  }

  function exportDraft(consortiumId, format) {
    var url = "/ui/consortia/" + consortiumId + "/export." + format;
    request("GET", url, { accept: format === "csv" ? "text/csv" : "application/json" })
      .then(function (response) {
        if (!response.ok) {
          return problemOf(response).then(function (problem) {
            throw new Error(problem.detail);
          });
        }
        return response.blob().then(function (blob) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = filenameOf(response, "consortium-" + consortiumId + "." + format);
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () {
            URL.revokeObjectURL(link.href);
          }, 1000);
          announce("Downloaded " + link.download + ".", "ok");
        });
      })
      .catch(function (failure) {
        announce("The download failed: " + failure.message, "error");
      });
  }

  // The organisation form: POST to register (the key comes back once), PATCH to edit.
  function setupOrganisationForm(who) {
    var form = document.getElementById("organisation-form");
    if (!form) {
      return;
    }
    var organisationId = form.getAttribute("data-organisation-id");
    var summary = document.getElementById("form-errors");
    var loadedVersion = null;
    var submit = form.querySelector("button[type='submit']");
    // Whether an administrator verified the type the profile says: saving another type drops
    // that, and the page then says so and takes the hint beside the type away.
    var verifiedHint = document.getElementById("type-verified-hint");
    var typeVerified = Boolean(verifiedHint);
    function showTypeVerified(verified) {
      typeVerified = verified;
      if (verifiedHint && !verified) {
        var type = form.elements.stakeholder_type;
        type.setAttribute("aria-describedby", type.getAttribute("aria-describedby").replace(" type-verified-hint", ""));
        verifiedHint.remove();
        verifiedHint = null;
      }
    }

    if (organisationId) {
      var mayEdit = who && (who.role === "admin" || String(who.organisation_id) === organisationId);
      submit.disabled = !mayEdit;
      document.getElementById("not-owner").hidden = !who || mayEdit;
      if (mayEdit) {
        request("GET", "/organisations/" + organisationId).then(function (response) {
          if (!response.ok) {
            return;
          }
          loadedVersion = (response.headers.get("ETag") || "").replace(/\D/g, "") || null;
          return response.json().then(function (profile) {
            form.elements.contact_email.value = profile.contact_email || "";
            showTypeVerified(profile.type_verified === true);
          });
        });
      }
    }

    function clearErrors() {
      clearFormErrors(form, summary);
    }

    // The control an error's field names ("activities.2.year": the third project sent's year)
    // and what the page calls it: its visible label, never the API's field name.
    function controlOf(field) {
      var path = String(field).split(".");
      if (path[0] === "activities" && sentRows[Number(path[1])]) {
        var row = sentRows[Number(path[1])];
        var part = row.querySelector("[data-part='" + (path[2] || "title") + "']");
        if (part) {
          var number = Array.prototype.indexOf.call(activityList.children, row) + 1;
          return { input: part, label: "Past project " + number + ", " + labelOf(part) };
        }
      }
      var input = form.elements[path[0]];
      return input && input.id ? { input: input, label: labelOf(input) } : null;
    }

    function labelOf(input) {
      return input.labels && input.labels[0] ? input.labels[0].textContent.replace("*", "").trim() : input.name;
    }

    function showErrors(problem) {
      showFormErrors(summary, problem, problem.detail, function (field) {
        var control = controlOf(field);
        return control && {
          input: control.input,
          label: control.label,
          slot: document.getElementById("error-" + control.input.id) || document.getElementById("error-" + control.input.name),
          mark: true,
        };
      });
    }

    function valueOf(name) {
      var value = tidy(form.elements[name].value, true);
      return value === "" ? null : value;
    }

    // Past projects: one list item per project; a new one is the template's copy with ids
    // of its own (labels and error slots keep pointing at their controls).
    var activityList = document.getElementById("activity-list");
    var activityTemplate = document.getElementById("activity-template");
    var activityCount = activityList.children.length;

    // Each project's legend and Remove button say its place in the list, again after a change.
    function numberActivities() {
      Array.prototype.forEach.call(activityList.children, function (row, index) {
        row.querySelectorAll("[data-activity-number]").forEach(function (number) {
          number.textContent = String(index + 1);
        });
      });
    }

    form.querySelector("[data-action='add-activity']").addEventListener("click", function () {
      var number = "n" + activityCount++;
      var row = activityTemplate.content.firstElementChild.cloneNode(true);
      row.querySelectorAll("[id]").forEach(function (element) {
        element.id = element.id.replace("NEW", number);
      });
      // A control may be described by several elements (its hint and its error): each one's id.
      row.querySelectorAll("[aria-describedby]").forEach(function (element) {
        element.setAttribute("aria-describedby", element.getAttribute("aria-describedby").replace(/NEW/g, number));
      });
      row.querySelectorAll("label[for]").forEach(function (label) {
        label.htmlFor = label.htmlFor.replace("NEW", number);
      });
      activityList.appendChild(row);
      numberActivities();
      row.querySelector("[data-part='title']").focus();
    });
    activityList.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action='remove-activity']");
      if (button) {
        button.closest("[data-activity]").remove();
        numberActivities();
        settleErrorSummaries();
        announce("Past project removed.", "ok");
        form.querySelector("[data-action='add-activity']").focus();
      }
    });

    var sentRows = [];
    var untitled = [];

    // "IHI in-kind contributor" is asked of the types that contribute in kind, and shown to any
    // other while it holds an answer (one stored before a change of type, say), never hiding it.
    var ihiField = document.getElementById("ihi-field");
    var inKindTypes = ihiField.getAttribute("data-in-kind-types").split(" ");
    function showIhiField() {
      ihiField.hidden =
        inKindTypes.indexOf(form.elements.stakeholder_type.value) === -1 && form.elements.ihi_contributor.value === "";
    }
    form.elements.stakeholder_type.addEventListener("change", showIhiField);
    showIhiField();

    // The projects to send. A row left wholly empty is no project; a row with a summary, a
    // year, a part or a call but no title is one the user meant to give: it is refused, not
    // dropped.
    function activities() {
      var found = [];
      sentRows = [];
      untitled = [];
      activityList.querySelectorAll("[data-activity]").forEach(function (row) {
        var part = function (name) {
          return tidy(row.querySelector("[data-part='" + name + "']").value, name !== "summary");
        };
        if (!part("title")) {
          if (part("summary") || part("year") || part("role") || part("call")) {
            untitled.push({ field: "activities." + sentRows.length + ".title", message: "Give this project a title, or remove it." });
            found.push(null);
            sentRows.push(row);
          }
          return;
        }
        var activity = { title: part("title"), summary: part("summary") };
        if (part("year")) {
          activity.year = Number(part("year"));
        }
        if (part("role")) {
          activity.role = part("role");
        }
        if (part("call")) {
          activity.call = part("call");
        }
        // A link that came with the profile (an import, say) is kept as it was.
        if (row.getAttribute("data-url")) {
          activity.url = row.getAttribute("data-url");
        }
        found.push(activity);
        sentRows.push(row);
      });
      return found;
    }

    function body() {
      var data = {
        name: tidy(form.elements.name.value, true),
        stakeholder_type: form.elements.stakeholder_type.value,
        country: form.elements.country.value,
        city: valueOf("city"),
        website: valueOf("website"),
        contact_email: valueOf("contact_email"),
        description: tidy(form.elements.description.value, false),
        // Commas or semicolons (as many people list things), or one keyword a line.
        keywords: tidy(form.elements.keywords.value, false)
          .split(/[,;\n]/)
          .map(function (word) {
            return tidy(word, true);
          })
          .filter(Boolean),
        activities: activities(),
        group: valueOf("group"),
        ihi_contributor: { true: true, false: false }[form.elements.ihi_contributor.value],
      };
      if (data.ihi_contributor === undefined) {
        data.ihi_contributor = null;
      }
      if (ihiField.hidden) {
        delete data.ihi_contributor; // not asked for this type: whatever is stored stays
      }
      if (!organisationId) {
        // A new profile leaves out what was not given instead of sending nulls.
        Object.keys(data).forEach(function (name) {
          if (data[name] === null || data[name] === "") {
            delete data[name];
          }
        });
      }
      return data;
    }

    // While nothing in the form says what the organisation knows, a hint above the button
    // says what that costs; registering or saving stays possible.
    var expertiseEmpty = document.getElementById("expertise-empty");
    function showExpertiseEmpty() {
      var projects = Array.prototype.some.call(activityList.querySelectorAll("[data-part='title']"), function (input) {
        return tidy(input.value, true) !== "";
      });
      expertiseEmpty.hidden = projects || tidy(form.elements.description.value, false) !== "" || tidy(form.elements.keywords.value, true).replace(/[,;\s]/g, "") !== "";
    }
    form.addEventListener("input", showExpertiseEmpty);
    activityList.addEventListener("click", showExpertiseEmpty);
    showExpertiseEmpty();

    // After a save the fields show what was stored (trimmed, keywords without the empty ones),
    // not what was typed.
    function showStored(profile) {
      ["name", "city", "website", "contact_email", "description", "group"].forEach(function (name) {
        form.elements[name].value = profile[name] || "";
      });
      form.elements.keywords.value = (profile.keywords || []).join(", ");
      // Each project sent shows its call as stored (upper-case), in the order it was sent.
      sentRows.forEach(function (row, index) {
        var stored = (profile.activities || [])[index];
        if (stored) {
          row.querySelector("[data-part='call']").value = stored.call || "";
        }
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors();
      var data = body();
      if (untitled.length) {
        showErrors({ detail: "", errors: untitled });
        return;
      }
      submit.disabled = true;
      var sending = organisationId
        ? request("PATCH", "/organisations/" + organisationId, { body: data, version: loadedVersion })
        : request("POST", "/organisations", { body: data });
      sending
        .then(function (response) {
          if (!response.ok) {
            return problemOf(response).then(function (problem) {
              if (problem.status === 412) {
                problem.detail = "The profile was changed since this page loaded: reload it, then make your change again.";
              }
              showErrors(problem);
            });
          }
          return response.json().then(function (profile) {
            form.removeAttribute("data-unsent");
            if (organisationId) {
              loadedVersion = profile.version;
              showStored(profile);
              var dropped = typeVerified && profile.type_verified !== true;
              showTypeVerified(profile.type_verified === true);
              announce(
                (who && who.role === "admin" ? "Saved this profile." : "Saved your profile.") +
                  (dropped ? " Its type changed, so it is no longer verified: only an administrator can verify the new type." : ""),
                "ok"
              );
              document.getElementById("status").focus();
              return;
            }
            showNewKey(form, profile);
          });
        })
        .catch(function () {
          showErrors({ detail: "The server could not be reached; nothing was saved." });
        })
        .finally(function () {
          submit.disabled = false;
        });
    });
  }

  function showNewKey(form, profile) {
    var panel = document.getElementById("key-panel");
    // This history entry now stands for the registration done: Back then Forward, or a
    // reload, shows what was registered instead of the filled form, which would make a copy.
    history.replaceState(null, "", "/ui/organisations/new?registered=" + profile.id);
    document.getElementById("new-key").textContent = profile.api_key;
    document.getElementById("new-profile-link").href = "/ui/organisations/" + profile.id;
    document.getElementById("key-recoverable").hidden = !profile.contact_email;
    document.getElementById("key-unrecoverable").hidden = Boolean(profile.contact_email);
    document.getElementById("key-no-expertise").hidden = Boolean(
      profile.description || profile.keywords.length || profile.activities.length,
    );
    panel.querySelector("[data-describe-link]").href = "/ui/organisations/" + profile.id + "/edit";
    panel.querySelector("[data-recovery-link]").href = "/ui/key-recovery?organisation=" + profile.id;
    showDuplicates(profile.possible_duplicates || []);
    remember(profile.api_key, {
      role: "organisation",
      organisation_id: profile.id,
      organisation_name: profile.name,
    });
    form.reset();
    form.hidden = true;
    panel.hidden = false;
    applySession();
    panel.focus();
  }

  // The stored profiles the new one looks like (the API's possible_duplicates), each a link;
  // the words for each reason, an imported record's mark and what to do are the page's own.
  function showDuplicates(duplicates) {
    var box = document.getElementById("duplicates");
    var list = box.querySelector("[data-duplicate-list]");
    list.replaceChildren();
    duplicates.forEach(function (duplicate) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/ui/organisations/" + duplicate.id;
      link.textContent = duplicate.name;
      item.appendChild(link);
      var reasons = duplicate.reasons.map(function (reason) {
        return list.getAttribute("data-reason-" + reason.replace(/_/g, "-")) || reason;
      });
      var kind = document.querySelector("#stakeholder_type option[value='" + duplicate.stakeholder_type + "']");
      var country = document.querySelector("#country option[value='" + duplicate.country + "']");
      item.appendChild(document.createTextNode(
        " (" + (kind ? kind.textContent : duplicate.stakeholder_type) + ", " +
          (country ? country.textContent : duplicate.country) +
          (duplicate.external_id ? list.getAttribute("data-imported-mark") : "") + "): " + reasons.join(" and "),
      ));
      list.appendChild(item);
    });
    box.querySelector("[data-duplicate-count]").textContent =
      duplicates.length === 1 ? "1 profile" : duplicates.length + " profiles";
    var imported = duplicates.some(function (duplicate) {
      return Boolean(duplicate.external_id);
    });
    box.querySelectorAll("[data-duplicate-advice]").forEach(function (advice) {
      advice.hidden = advice.getAttribute("data-duplicate-advice") !== (imported ? "imported" : "registered");
    });
    box.hidden = !duplicates.length;
  }

  // "Lost your key?": POST /organisations/{id}/key-recovery with the contact address. The
  // answer is the same whether or not the address is the organisation's, and so is the page.
  function setupKeyRecovery() {
    var form = document.getElementById("key-recovery-form");
    if (!form) {
      return;
    }
    var errors = document.getElementById("key-recovery-errors");
    var email = form.elements.contact_email;
    var slot = document.getElementById("contact_email-error");
    var submit = form.querySelector("button[type='submit']");
    var sent = document.getElementById("key-recovery-sent");

    // An address typed wrong is seen only once it is said back: the form comes back with it,
    // to correct and send again.
    sent.querySelector("[data-action='recovery-again']").addEventListener("click", function () {
      sent.hidden = true;
      form.hidden = false;
      email.focus();
    });

    var showError = errorShower(email, slot, errors);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errors.hidden = true;
      slot.hidden = true;
      email.removeAttribute("aria-invalid");
      var address = email.value.trim();
      if (!/^[^@\s]+@[^@\s]+$/.test(address)) {
        showError("Write the contact e-mail address, such as name@example.org.", true);
        return;
      }
      submit.disabled = true;
      request("POST", "/organisations/" + form.getAttribute("data-organisation-id") + "/key-recovery", {
        body: { contact_email: address },
      })
        .then(function (response) {
          if (response.ok) {
            form.hidden = true;
            sent.querySelector("[data-sent-to]").textContent = address;
            sent.hidden = false;
            sent.focus();
            return;
          }
          return problemOf(response).then(function (problem) {
            var invalid = (problem.errors || []).filter(function (error) {
              return error.field === "contact_email";
            });
            if (invalid.length) {
              showError(invalid[0].message, true);
            } else if (problem.status === 429) {
              showError("Too many requests for a new key in the last minute: wait a minute, then try again.", false);
            } else {
              showError("Not sent: " + problem.detail, false);
            }
          });
        })
        .catch(function () {
          showError("Not sent: the server could not be reached.", false);
        })
        .finally(function () {
          submit.disabled = false;
        });
    });
  }

  // The owner's own profile page shows its contact address, which only it and admins may read
  // (GET /organisations/{id} answers contact_email for their key only).
  function setupOwnerContact(who) {
    var shown = document.querySelector("[data-contact-email]");
    if (!shown) {
      return;
    }
    var organisationId = shown.getAttribute("data-organisation-id");
    if (!who || (who.role !== "admin" && String(who.organisation_id) !== organisationId)) {
      return;
    }
    shown.setAttribute("aria-busy", "true");
    request("GET", "/organisations/" + organisationId)
      .then(function (response) {
        if (!response.ok) {
          throw new Error();
        }
        return response.json().then(function (profile) {
          shown.textContent = profile.contact_email || "none given: add one by editing the profile, or a lost key cannot be recovered";
          showKeptOnImport(profile);
        });
      })
      .catch(function () {
        shown.textContent = "could not be loaded";
      })
      .finally(function () {
        shown.removeAttribute("aria-busy");
      });
  }

  // An imported profile's fields that CORDIS imports leave as written here, each with a button
  // that hands it back to them; a verified type stays kept while its verification stands.
  function showKeptOnImport(profile) {
    var panel = document.querySelector("[data-kept-on-import]");
    if (!panel) {
      return;
    }
    // Only the fields the page lists, those CORDIS gives: keywords, say, no import of it updates.
    (profile.kept_on_import || []).forEach(function (field) {
      var item = panel.querySelector("[data-kept-field='" + field + "']");
      if (!item) {
        return;
      }
      item.hidden = false;
      panel.hidden = false;
      if (field === "stakeholder_type" && profile.type_verified) {
        item.querySelector("[data-kept-verified]").hidden = false;
        item.querySelector("button").hidden = true;
      }
    });
  }

  function setupHandBack() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action='hand-back']");
      if (!button) {
        return;
      }
      var noun = button.getAttribute("data-noun");
      var question = "Let CORDIS imports update the " + noun + " again? It stays as written here until the next import, which brings CORDIS's.";
      var url = "/organisations/" + button.getAttribute("data-organisation-id") + "/kept-on-import/" + button.getAttribute("data-field");
      profileAction(button, question, "DELETE", url, undefined, "Not changed: ", function () {
        reloadSaying("CORDIS imports update the " + noun + " again, from the next one on.");
      });
    });
  }

  // A form marked data-guard-typing that holds typed, unsent text makes leaving the page ask
  // first (the browser's own question), so a stray tap on a link does not lose a long profile or
  // message; sending it clears the mark.
  function setupTypingGuard() {
    // Delegated, so that forms in fragments loaded later (a draft's partner request) count too.
    document.addEventListener("input", function (event) {
      var form = event.target.closest && event.target.closest("form[data-guard-typing]");
      if (form) {
        form.setAttribute("data-unsent", "");
      }
    });
    window.addEventListener("beforeunload", function (event) {
      if (document.querySelector("form[data-unsent]:not([hidden])")) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  // A form's errors gone: its summary box hidden and emptied, no message beside a field and no
  // field marked.
  function clearFormErrors(form, summary) {
    summary.hidden = true;
    summary.replaceChildren();
    form.querySelectorAll(".field-error").forEach(function (element) {
      element.hidden = true;
      element.textContent = "";
    });
    form.querySelectorAll("[aria-invalid]").forEach(function (element) {
      element.removeAttribute("aria-invalid");
    });
  }

  // A problem's errors on a form: each once, beside its field (`locate(field)` gives the field's
  // control, its label, its message's slot and whether to mark it aria-invalid, or null), and
  // the box at the top naming the fields by their labels, never the API's field names, with
  // links to them; an error of no field is listed in its words, and `detail` heads the box
  // when no field is named.
  function showFormErrors(summary, problem, detail, locate) {
    var shown = [];
    var list = document.createElement("ul");
    (problem.errors || []).forEach(function (error) {
      var control = locate(error.field);
      var item = document.createElement("li");
      if (control) {
        if (control.mark) {
          control.input.setAttribute("aria-invalid", "true");
        }
        if (control.slot && control.slot.textContent.indexOf(error.message) === -1) {
          control.slot.textContent = (control.slot.textContent + " " + error.message).trim();
          control.slot.hidden = false;
        }
        if (shown.indexOf(control.input) !== -1) {
          return;
        }
        shown.push(control.input);
        var link = document.createElement("a");
        link.href = "#" + control.input.id;
        link.textContent = control.label;
        item.appendChild(link);
      } else {
        item.textContent = error.message;
      }
      list.appendChild(item);
    });
    var heading = document.createElement("p");
    heading.textContent = list.children.length ? errorsHeading(list.children.length) : detail;
    summary.appendChild(heading);
    if (list.children.length) {
      summary.appendChild(list);
    }
    summary.hidden = false;
    summary.focus();
  }

  // What heads a form's summary of errors that lists `count` of them.
  function errorsHeading(count) {
    return count === 1
      ? "Not saved: correct the field below, where it is marked."
      : "Not saved: correct these " + count + " fields, where they are marked.";
  }

  // A summary of errors ([data-error-summary]) goes once every field it links to has been
  // changed (a field it named that is gone, a removed project's, counts as changed): it spoke
  // of what they held before. Until then it stays as it was, so a screen reader does not read
  // it out again at each field; an error it names no field for stays, alone.
  function settleErrorSummaries() {
    document.querySelectorAll("[data-error-summary]:not([hidden])").forEach(function (summary) {
      var links = summary.querySelectorAll("li > a[href^='#']");
      var waiting = Array.prototype.some.call(links, function (link) {
        var field = document.getElementById(link.getAttribute("href").slice(1));
        return field && field.getAttribute("aria-invalid") === "true";
      });
      if (!links.length || waiting) {
        return;
      }
      links.forEach(function (link) {
        link.parentNode.remove();
      });
      var left = summary.querySelectorAll("li").length;
      if (left) {
        summary.querySelector("p").textContent = errorsHeading(left);
      } else {
        summary.hidden = true;
        summary.replaceChildren();
      }
    });
  }

  // A field marked wrong (aria-invalid) stops being marked, and the message beside it (a
  // .field-error it names in aria-describedby) goes, as soon as the user changes it: both spoke
  // of what the field held before. Delegated, for every form and the fragments loaded later.
  function setupFieldErrors() {
    function clear(event) {
      var field = event.target;
      if (!field.getAttribute || field.getAttribute("aria-invalid") !== "true") {
        return;
      }
      field.removeAttribute("aria-invalid");
      (field.getAttribute("aria-describedby") || "").split(/\s+/).forEach(function (id) {
        var message = id ? document.getElementById(id) : null;
        if (message && message.classList.contains("field-error")) {
          message.hidden = true;
          message.textContent = "";
        }
      });
      settleErrorSummaries();
    }
    document.addEventListener("input", clear);
    document.addEventListener("change", clear);
  }

  // "Replace your key" on the owner's profile (POST /organisations/{id}/keys/rotate): the key
  // this tab holds is revoked, the new one is shown once and this tab keeps working with it.
  function setupRotateKey() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action='rotate-key']");
      if (!button) {
        return;
      }
      var who = currentWho();
      if (!who || who.role !== "organisation") {
        announce("Only the organisation's own key can be replaced here; administrators issue keys instead.", "error");
        document.getElementById("status").focus();
        return;
      }
      if (!window.confirm("Replace your organisation key? The key you signed in with stops working at once, wherever it is kept or shared; the new one is shown once.")) {
        return;
      }
      button.disabled = true;
      request("POST", "/organisations/" + button.getAttribute("data-organisation-id") + "/keys/rotate")
        .then(function (response) {
          if (!response.ok) {
            return problemOf(response).then(function (problem) {
              announce("Not replaced: " + problem.detail, "error");
              document.getElementById("status").focus();
            });
          }
          return response.json().then(function (issued) {
            remember(issued.token, who);
            announce("", "info");
            var panel = document.getElementById("key-panel");
            document.getElementById("new-key").textContent = issued.token;
            panel.hidden = false;
            panel.focus();
          });
        })
        .catch(function () {
          announce("Not replaced: the server could not be reached.", "error");
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  }

  // An administrator verifies a profile's stakeholder type, or withdraws the verification
  // (POST or DELETE /admin/organisations/{id}/type-verification), with the version the page
  // showed: a profile changed meanwhile is refused (412) and the page says to reload. Done, the
  // page loads again to show the badge and says what changed, as a merge does.
  function setupVerifyType() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action='verify-type']");
      if (!button) {
        return;
      }
      var verify = button.getAttribute("data-method") === "POST";
      var question = verify
        ? "Verify this organisation's type? Calls that require a verified member will count it."
        : "Withdraw the verification of this organisation's type? Calls that require a verified member stop counting it.";
      var url = "/admin/organisations/" + button.getAttribute("data-organisation-id") + "/type-verification";
      var kind = button.getAttribute("data-noun");
      var type = button.getAttribute("data-possessive") + " type, " + kind + ", ";
      profileAction(button, question, button.getAttribute("data-method"), url, undefined, verify ? "Not verified: " : "Not withdrawn: ", function () {
        reloadSaying(
          verify
            ? type + "is now verified: calls that require a verified " + kind + " count it."
            : type + "is no longer verified: calls that require a verified " + kind + " stop counting it.",
        );
      });
    });
  }

  // An administrator's action on a profile, asked first: sent with the profile's version, its
  // button usable again and the refusal in view when it fails; `done` runs when it succeeds.
  function profileAction(button, question, method, url, body, failed, done) {
    if (!window.confirm(question)) {
      return;
    }
    button.disabled = true;
    request(method, url, { body: body, version: button.getAttribute("data-version") })
      .then(function (response) {
        if (response.ok) {
          done();
          return null;
        }
        return problemOf(response).then(function (problem) {
          button.disabled = false;
          var detail = response.status === 412 ? "the profile changed since this page was loaded; reload the page and check it again." : problem.detail;
          announce(failed + detail, "error");
          document.getElementById("status").focus();
        });
      })
      .catch(function () {
        button.disabled = false;
        announce(failed + "the server could not be reached.", "error");
      });
  }

  // An administrator deletes a profile (spam, say): asked first, since everything stored
  // about it goes with it; the page then says so in place of the profile.
  function setupDeleteOrganisation() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action='delete-organisation']");
      if (!button) {
        return;
      }
      var name = button.getAttribute("data-name");
      var owners = button.getAttribute("data-possessive");
      var question = "Delete " + owners + " profile and everything stored about it (its keys, drafts, requests and messages)? This cannot be undone. Organisations whose drafts it is a member of are told that it left, by its name only, and their drafts show that it left, by its name and type.";
      // An imported profile stays deleted: the question says so, and how it could come back.
      if (button.hasAttribute("data-imported")) {
        question += " It was imported from CORDIS: later imports will not create it again (only its CORDIS id and the date are kept), unless the service's operator allows it back (matchmaker import forget-deletion).";
      }
      var url = "/organisations/" + button.getAttribute("data-organisation-id");
      profileAction(button, question, "DELETE", url, undefined, "Not deleted: ", function () {
        var done = document.createElement("div");
        done.className = "notice notice-ok";
        done.tabIndex = -1;
        var text = document.createElement("p");
        text.textContent = owners + " profile was deleted. ";
        var back = document.createElement("a");
        back.href = "/ui/organisations";
        back.textContent = "Back to the organisations";
        text.appendChild(back);
        done.appendChild(text);
        document.getElementById("main").replaceChildren(done);
        // The button that had the focus is gone with the profile: the notice takes it, so that
        // a screen reader says what happened instead of falling back to the page's start.
        done.focus();
      });
    });
  }

  // What a change shown by loading the page again did, said once it has loaded: kept in this
  // tab's session storage for this address only, then said in the status region (which takes
  // the focus, so that a screen reader reads it), as a change made without loading again is.
  var SAID = "matchmaker.said";

  function reloadSaying(message) {
    var store = storage();
    if (!store) {
      announce(message, "ok");
      document.getElementById("status").focus();
      return;
    }
    store.setItem(SAID, JSON.stringify({ path: location.pathname, message: message }));
    location.reload();
  }

  // The same for a link that loads this page again at another address (the builder's "Keep"):
  // kept before the link is followed. `landings` are [selector, message] pairs, tried in
  // order once it has loaded: the first element present takes the focus and its message is
  // said (an empty one says nothing); with none present, `message` is said as above.
  function sayOnArrival(message, landings) {
    var store = storage();
    if (store) {
      store.setItem(SAID, JSON.stringify({ path: location.pathname, message: message, landings: landings }));
    }
  }

  function sayWhatWasDone() {
    var store = storage();
    if (!store) {
      return;
    }
    var said = null;
    try {
      said = JSON.parse(store.getItem(SAID) || "null");
    } catch (error) {
      said = null;
    }
    store.removeItem(SAID);
    if (!said || said.path !== location.pathname) {
      return;
    }
    var landing = (said.landings || [])
      .map(function (pair) {
        return [document.querySelector(pair[0]), pair[1]];
      })
      .filter(function (pair) {
        return pair[0];
      })[0];
    if (landing) {
      announce(landing[1], "ok");
      landing[0].focus();
    } else if (said.message) {
      announce(said.message, "ok");
      document.getElementById("status").focus();
    }
  }

  // What merging the profile a button names into this one will do, from the facts the server
  // put on it (matchmaker/trust/merging.py: the survivor keeps its own name, type,
  // verification and fields, takes the other's only where its own are empty, and gains the
  // other's keys; data-fills lists those fields, from FILLED_FROM_ABSORBED there).
  function mergeQuestion(button) {
    var name = button.getAttribute("data-absorb-name");
    // The name with its possessive ending (matchmaker.wording.possessive: "Denmark's").
    var owners = button.getAttribute("data-absorb-possessive");
    var keys = Number(button.getAttribute("data-absorb-keys"));
    var parts = ["Merge " + name + " into this profile?"];
    if (keys > 0) {
      parts.push(
        owners + " " + keys + (keys === 1 ? " key" : " keys") + " will act for this profile from now on: " +
          (keys === 1 ? "its holder" : "their holders") + " may edit it.",
      );
    } else {
      parts.push(name + " has no working key.");
    }
    if (button.getAttribute("data-absorb-verified") === "true" && button.getAttribute("data-verified") !== "true") {
      parts.push(name + " is verified; this profile is not: the merged profile keeps this profile's type and verification.");
    }
    var imported = button.getAttribute("data-external-id");
    if (imported && !button.getAttribute("data-absorb-external-id")) {
      parts.push(
        "This profile is the imported record " + imported + "; " + name + " was registered here: the merged profile keeps " +
          "this profile's name, type, " + button.getAttribute("data-fills") + " (" + owners + " fill only those left empty) " +
          "and adds " + owners + " keywords and projects. Later CORDIS imports keep what the merge adds or fills and what " +
          "its keys then edit, and update only the fields nobody here has changed. To keep " + owners + ", merge the other " +
          "way, from its page; imports then leave the merged profile alone.",
      );
    }
    parts.push(name + " is deleted; this cannot be undone.");
    return parts.join(" ");
  }

  // An administrator merges a profile that looks like the same organisation into this one; the
  // page loads again to show the merged profile and says what happened.
  function setupMergeOrganisation() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action='merge-organisation']");
      if (!button) {
        return;
      }
      var name = button.getAttribute("data-absorb-name");
      var question = mergeQuestion(button);
      var url = "/admin/organisations/" + button.getAttribute("data-organisation-id") + "/merge";
      var body = { absorb: Number(button.getAttribute("data-absorb")) };
      profileAction(button, question, "POST", url, body, "Not merged: ", function () {
        reloadSaying(
          name + " was merged into this profile: its projects, keywords, keys, drafts and requests are now this profile's, " +
            "and the fields this profile left empty were filled from it. Its own profile is deleted; its old address links here.",
        );
      });
    });
  }

  // A key recovered by an e-mailed link (the page shows it once): this tab signs in with it,
  // as it does after registering, so the user goes on without pasting it.
  function signInWithRecoveredKey() {
    var code = document.querySelector("#new-key[data-sign-in]");
    if (!code) {
      return;
    }
    try {
      remember(code.textContent.trim(), {
        role: "organisation",
        organisation_id: Number(code.getAttribute("data-organisation-id")),
        organisation_name: code.getAttribute("data-organisation-name"),
      });
    } catch (error) {
      document.getElementById("copy-hint").textContent = error.message;
    }
  }

  function setupCopyKey() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action='copy-key']");
      if (!button) {
        return;
      }
      var code = document.getElementById("new-key");
      var hint = document.getElementById("copy-hint");
      var selectKey = function () {
        var range = document.createRange();
        range.selectNodeContents(code);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        hint.textContent = "Selected: press Ctrl+C (or ⌘+C) to copy it.";
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.textContent).then(function () {
          hint.textContent = "Copied. Paste it into your password manager now.";
        }, selectKey);
      } else {
        selectKey();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    signInWithRecoveredKey();
    var who = applySession();
    sayWhatWasDone();
    setupSignIn();
    setupSignOut();
    setupCopyKey();
    setupRotateKey();
    setupVerifyType();
    setupHandBack();
    setupTypingGuard();
    setupFieldErrors();
    setupBuilder(who);
    setupOrganisationForm(who);
    setupDraft();
    setupContactForm();
    setupInbox();
    setupDeleteOrganisation();
    setupMergeOrganisation();
    setupSavedSearches();
    setupNewCalls();
    setupCallRequests(who);
    focusLinkedRow();
    setupTrustForms(who);
    setupCountryStatusForm();
    setupKeyRecovery();
    setupOwnerContact(who);
    document.querySelectorAll("[data-fragment]").forEach(function (container) {
      if (container.id !== "draft-panel" && !container.hidden && container.closest("[hidden]") === null) {
        loadFragment(container);
      }
    });
  });
})();
