// The web chat page: plain JavaScript, no build step.
// A random session id (kept in localStorage) is the customer's identity on the "web" channel;
// every message carries a random message id, and a retry after a network error reuses it, so
// the server handles it once.
(function () {
  "use strict";

  var SESSION_KEY = "shopbot.chat.session";
  var LANG_KEY = "shopbot.chat.lang";
  var SESSION_RE = /^[A-Za-z0-9_-]{16,64}$/;
  var POLL_MS = 4000;

  var LABELS = {
    vi: {
      send: "Gửi",
      placeholder: "Nhập tin nhắn…",
      sandbox: "Chế độ thử nghiệm: thanh toán và vận chuyển chưa kết nối thật, đơn hàng chỉ để thử.",
      staff: "Nhân viên của shop đang hỗ trợ bạn.",
      typing: "Đang trả lời…",
      failed: "Không gửi được tin nhắn. Bạn kiểm tra mạng rồi thử lại nhé.",
      slow: "Bạn gửi hơi nhanh, đợi vài giây rồi thử lại nhé.",
      shop: "Shop",
      staffName: "Nhân viên",
      qrAlt: "Mã QR chuyển khoản",
    },
    en: {
      send: "Send",
      placeholder: "Type a message…",
      sandbox: "Test mode: payments and shipping are not connected, orders here are for trying out.",
      staff: "A member of staff is helping you.",
      typing: "Typing…",
      failed: "The message could not be sent. Check your connection and try again.",
      slow: "You're sending quickly; wait a few seconds and try again.",
      shop: "Shop",
      staffName: "Staff",
      qrAlt: "Bank transfer QR code",
    },
  };

  var body = document.body;
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var sendButton = document.getElementById("send");
  var sandbox = document.getElementById("sandbox");
  var staffNotice = document.getElementById("staff");

  var lang = localStorage.getItem(LANG_KEY) || body.getAttribute("data-lang") || "vi";
  if (lang !== "vi" && lang !== "en") { lang = "vi"; }
  var session = sessionId();
  var lastId = 0;
  var mode = "bot";
  var pollTimer = null;
  var busy = false;

  function randomId(bytes) {
    var data = new Uint8Array(bytes);
    window.crypto.getRandomValues(data);
    var text = "";
    for (var i = 0; i < data.length; i++) { text += String.fromCharCode(data[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function sessionId() {
    var stored = null;
    try { stored = localStorage.getItem(SESSION_KEY); } catch (e) { stored = null; }
    if (stored && SESSION_RE.test(stored)) { return stored; }
    var made = randomId(24);
    try { localStorage.setItem(SESSION_KEY, made); } catch (e) { /* private mode: per page */ }
    return made;
  }

  function label(key) { return LABELS[lang][key]; }

  function applyLanguage() {
    document.documentElement.lang = lang;
    input.placeholder = label("placeholder");
    sendButton.textContent = label("send");
    sandbox.textContent = label("sandbox");
    staffNotice.textContent = label("staff");
    var buttons = document.querySelectorAll(".lang button");
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i];
      b.classList.toggle("active", b.getAttribute("data-lang") === lang);
      b.setAttribute("aria-pressed", b.getAttribute("data-lang") === lang ? "true" : "false");
    }
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function clearQuickReplies() {
    var old = log.querySelectorAll(".buttons.quick");
    for (var i = 0; i < old.length; i++) { old[i].parentNode.removeChild(old[i]); }
  }

  // about: what the button belongs to (a card's product), so the chat log reads "Xem: Áo thun".
  function buttonFor(b, about) {
    var node = el("button", "", b.title);
    node.type = "button";
    node.setAttribute("data-payload", b.payload);
    node.addEventListener("click", function () {
      if (busy) { return; }
      send({ text: about ? b.title + ": " + about : b.title, payload: b.payload });
    });
    return node;
  }

  function renderCustomer(text) {
    var wrap = el("div", "msg customer");
    wrap.setAttribute("data-role", "customer");
    wrap.appendChild(el("div", "bubble", text));
    log.appendChild(wrap);
    scrollDown();
  }

  // Web addresses as they are; the shop's own uploads (/media/<name>) by their thumbnail.
  function cardImage(url) {
    if (!url) { return null; }
    if (/^https?:\/\//.test(url)) { return url; }
    var own = /^\/media\/([0-9a-f]{32}\.(?:jpg|png|webp))$/.exec(url);
    return own ? "/media/thumbs/" + own[1] : null;
  }

  function renderCard(card) {
    var node = el("div", "card");
    node.setAttribute("data-product-id", String(card.product_id));
    var img = el("div", "img");
    var src = cardImage(card.image_url);
    if (src) {
      var image = document.createElement("img");
      image.src = src;
      image.alt = card.title;
      image.loading = "lazy";
      // A picture that fails to load falls back to the letter, not a broken-image icon.
      image.addEventListener("error", function () {
        img.textContent = (card.title || "?").charAt(0).toUpperCase();
      });
      img.appendChild(image);
    } else {
      img.textContent = (card.title || "?").charAt(0).toUpperCase();
    }
    node.appendChild(img);
    var inner = el("div", "body");
    inner.appendChild(el("div", "title", card.title));
    if (card.subtitle) { inner.appendChild(el("div", "subtitle", card.subtitle)); }
    if (card.price_text) { inner.appendChild(el("div", "price", card.price_text)); }
    if (card.buttons && card.buttons.length) {
      var actions = el("div", "actions");
      card.buttons.forEach(function (b) { actions.appendChild(buttonFor(b, card.title)); });
      inner.appendChild(actions);
    }
    node.appendChild(inner);
    return node;
  }

  function renderReply(reply, role) {
    var wrap = el("div", "msg " + (role === "staff" ? "staff" : "bot"));
    wrap.setAttribute("data-role", role === "staff" ? "staff" : "bot");
    if (role === "staff") { wrap.appendChild(el("div", "who", label("staffName"))); }
    if (reply.text) { wrap.appendChild(el("div", "bubble", reply.text)); }
    if (reply.qr) {
      // A VietQR payment code: any banking app scans it (drawn by the server as SVG).
      var qr = document.createElement("img");
      qr.className = "qr";
      qr.src = "/api/chat/qr.svg?data=" + encodeURIComponent(reply.qr);
      qr.alt = label("qrAlt");
      wrap.appendChild(qr);
    }
    if (reply.cards && reply.cards.length) {
      var cards = el("div", "cards");
      reply.cards.forEach(function (c) { cards.appendChild(renderCard(c)); });
      wrap.appendChild(cards);
    }
    if (reply.buttons && reply.buttons.length) {
      var buttons = el("div", "buttons quick");
      reply.buttons.forEach(function (b) { buttons.appendChild(buttonFor(b)); });
      wrap.appendChild(buttons);
    }
    log.appendChild(wrap);
    scrollDown();
  }

  function renderNote(text, cls) {
    var wrap = el("div", "msg bot " + cls);
    wrap.appendChild(el("div", "bubble", text));
    log.appendChild(wrap);
    scrollDown();
    return wrap;
  }

  function setMode(next) {
    mode = next || "bot";
    staffNotice.hidden = mode !== "human";
    if (mode === "human" && !pollTimer) {
      pollTimer = window.setInterval(poll, POLL_MS);
    } else if (mode !== "human" && pollTimer) {
      window.clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  function historyUrl(after) {
    return "/api/chat/history?session_id=" + encodeURIComponent(session) + "&after_id=" + after;
  }

  // Messages stored after lastId that are not the customer's own: staff answers while the
  // chat is handed off (the bot's replies arrive in the POST response instead).
  function poll() {
    fetch(historyUrl(lastId)).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.messages.forEach(function (m) {
          lastId = Math.max(lastId, m.id);
          if (m.role === "staff") {
            renderReply({ text: m.text, buttons: m.buttons, cards: m.cards, qr: m.qr }, "staff");
          }
        });
        setMode(data.mode);
      }).catch(function () { /* next poll */ });
  }

  function post(payload, attempt) {
    return fetch("/api/chat/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    }).then(function (r) {
      if (r.status === 429) { return { rateLimited: true }; }
      if (r.status >= 500 && attempt < 3) { return retry(payload, attempt); }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    }, function (err) {
      if (attempt < 3) { return retry(payload, attempt); }
      throw err;
    });
  }

  function retry(payload, attempt) {
    return new Promise(function (resolve) { window.setTimeout(resolve, 600 * attempt); })
      .then(function () { return post(payload, attempt + 1); });
  }

  // message: {text, payload, silent}. Silent messages (start, language switch) are not shown.
  function send(message) {
    busy = true;
    clearQuickReplies();
    if (!message.silent && message.text) { renderCustomer(message.text); }
    var typing = renderNote(label("typing"), "typing");
    var payload = { session_id: session, message_id: randomId(12) };
    if (message.text) { payload.text = message.text; }
    if (message.payload) { payload.payload = message.payload; }
    if (message.language) { payload.language = message.language; }
    return post(payload, 1).then(function (data) {
      typing.remove();
      if (data.rateLimited) { renderNote(label("slow"), "error"); return; }
      data.replies.forEach(function (r) { renderReply(r, "bot"); });
      if (data.mode === "human" && mode !== "human") { syncLastId(); }
      setMode(data.mode);
    }).catch(function () {
      typing.remove();
      renderNote(label("failed"), "error");
    }).then(function () {
      busy = false;
      input.focus();
    });
  }

  function syncLastId() {
    return fetch(historyUrl(lastId)).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.messages.forEach(function (m) { lastId = Math.max(lastId, m.id); });
      }).catch(function () { /* polling catches up */ });
  }

  function restore() {
    return fetch(historyUrl(0)).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.messages.length) {
          return send({ payload: "start", silent: true, language: lang });
        }
        data.messages.forEach(function (m) {
          lastId = Math.max(lastId, m.id);
          if (m.role === "customer") {
            if (m.text) { renderCustomer(m.text); }
          } else {
            renderReply({ text: m.text, buttons: m.buttons, cards: m.cards, qr: m.qr }, m.role);
          }
        });
        // Only the latest turn keeps its quick replies.
        var quick = log.querySelectorAll(".buttons.quick");
        for (var i = 0; i < quick.length - 1; i++) { quick[i].parentNode.removeChild(quick[i]); }
        setMode(data.mode);
      }).catch(function () { return send({ payload: "start", silent: true, language: lang }); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) { return; }
    input.value = "";
    send({ text: text });
  });

  var langButtons = document.querySelectorAll(".lang button");
  for (var i = 0; i < langButtons.length; i++) {
    langButtons[i].addEventListener("click", function (event) {
      var wanted = event.currentTarget.getAttribute("data-lang");
      if (wanted === lang || busy) { return; }
      lang = wanted;
      try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* ignore */ }
      applyLanguage();
      send({ payload: "lang:" + lang, silent: true });
    });
  }

  sandbox.hidden = body.getAttribute("data-sandboxed") !== "true";
  applyLanguage();
  restore();
})();
