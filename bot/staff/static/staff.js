// The staff page: order cards and the handoff inbox, kept live by server-sent events.
// Everything shown is built with textContent (never innerHTML of data): names, notes and
// messages are typed by customers.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  let csrf = "";
  let me = null;
  let events = null;

  const vnd = (n) => n.toLocaleString("vi-VN").replace(/,/g, ".") + "₫";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("data-")) node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children) {
      if (c !== null && c !== undefined) node.append(c);
    }
    return node;
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRF-Token"] = csrf;
    const resp = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      const err = new Error((data.error && data.error.message) || resp.statusText);
      err.status = resp.status;
      throw err;
    }
    return data;
  }

  function say(text, ok) {
    const answer = $("answer");
    answer.textContent = text || "";
    answer.classList.toggle("refused", ok === false);
  }

  // --- order cards -----------------------------------------------------------------------

  function buttonRow(buttons, onDone, forms) {
    const row = el("div", { class: "buttons" });
    for (const b of buttons) {
      const btn = el("button", { type: "button", "data-payload": b.payload }, b.label);
      if (b.note) btn.append(el("span", { class: "later" }, "(" + b.note + ")"));
      if (b.form && forms && forms[b.form]) {
        btn.addEventListener("click", () => forms[b.form](btn));
        row.append(btn);
        continue;
      }
      btn.addEventListener("click", async () => {
        btn.disabled = true;
        try {
          const reply = await api("POST", "/staff/api/press", { payload: b.payload });
          say(reply.text, reply.ok);
          onDone(reply);
        } catch (e) {
          say(e.message, false);
        } finally {
          btn.disabled = false;
        }
      });
      row.append(btn);
    }
    return row;
  }

  // What the staff agent proposed: nothing has run; Confirm runs it once, Cancel drops it.
  function showConfirmations(list) {
    $("confirmations").replaceChildren(
      ...list.map((c) => {
        const box = el("div", { class: "confirm-card", "data-token": c.token });
        box.append(
          el("pre", {}, c.text),
          buttonRow(c.buttons, (reply) => {
            box.remove();
            applyCards(reply);
          })
        );
        return box;
      })
    );
  }

  function applyCards(reply) {
    for (const card of reply.cards || []) putCard(card, false);
  }

  function applyInbox(reply) {
    if (reply.ok) renderInbox(reply.handoffs || []);
  }

  function renderCard(c) {
    const lines = el("table", {});
    for (const ln of c.lines) {
      lines.append(
        el(
          "tr",
          {},
          el("td", {}, ln.quantity + " × " + ln.name + " (" + ln.sku + ")"),
          el("td", { class: "stock" + (ln.stock.startsWith("short") || ln.stock.startsWith("thiếu") ? " short" : "") }, ln.stock),
          el("td", { class: "num" }, vnd(ln.line_total)),
        ),
      );
    }
    const money = [
      "Tổng " + vnd(c.total),
      c.payment_method,
      c.cod_amount ? "COD " + vnd(c.cod_amount) : null,
      c.paid_amount ? "Đã trả " + vnd(c.paid_amount) : null,
    ].filter(Boolean).join(" · ");
    const node = el(
      "article",
      { class: "card order", id: "order-" + c.order_id, "data-status": c.status },
      el("div", { class: "head" }, el("span", { class: "number" }, c.number + " · " + c.channel), el("span", { class: "status" }, c.status_label)),
      el("div", { class: "meta" }, c.buyer_name + " · " + c.buyer_phone),
      c.address ? el("div", { class: "meta" }, c.address) : null,
      lines,
      el("div", { class: "meta money" }, money),
      c.note ? el("div", { class: "note" + (c.note.customer_written ? " customer" : ""), "data-label": c.note.customer_written ? "Khách ghi" : "Ghi chú" }, c.note.value) : null,
      c.purchase_suggestions.length
        ? el("div", { class: "suggest" }, "Cần nhập: " + c.purchase_suggestions.map((s) => s.sku + " × " + s.missing).join(", "))
        : null,
      buttonRow(c.buttons, applyCards, { edit_order: (btn) => toggleEdit(btn, c) }),
    );
    return node;
  }

  // The edit form of a card: buyer, phone and address (the customer's note stays theirs);
  // only what changed is sent.
  function toggleEdit(btn, c) {
    const card = btn.closest(".card");
    const open = card.querySelector("form.edit");
    if (open) {
      open.remove();
      return;
    }
    const a = c.address_fields || { line: "", ward: "", district: "", province: "" };
    const fields = [
      ["buyer_name", c.buyer_name, "Người nhận"],
      ["buyer_phone", c.buyer_phone, "Số điện thoại"],
      ["line", a.line, "Địa chỉ"],
      ["ward", a.ward, "Phường/Xã"],
      ["district", a.district, "Quận/Huyện"],
      ["province", a.province, "Tỉnh/Thành phố"],
    ];
    const inputs = {};
    const form = el("form", { class: "reply edit", autocomplete: "off" });
    for (const [name, value, label] of fields) {
      inputs[name] = el("input", { name, value: value || "", placeholder: label, title: label });
      form.append(inputs[name]);
    }
    form.append(el("button", { type: "submit" }, "Lưu"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const changed = (name, old) => (inputs[name].value.trim() !== (old || "") ? inputs[name].value.trim() : null);
      const body = {
        buyer_name: changed("buyer_name", c.buyer_name),
        buyer_phone: changed("buyer_phone", c.buyer_phone),
      };
      if (["line", "ward", "district", "province"].some((k) => changed(k, a[k]) !== null)) {
        body.address = {
          line: inputs.line.value.trim(),
          ward: inputs.ward.value.trim(),
          district: inputs.district.value.trim(),
          province: inputs.province.value.trim(),
        };
      }
      try {
        const reply = await api("POST", "/staff/api/orders/" + c.order_id + "/edit", body);
        say(reply.text, reply.ok);
        applyCards(reply);
      } catch (e) {
        say(e.message, false);
      }
    });
    card.append(form);
  }

  function putCard(card, onTop) {
    const fresh = renderCard(card);
    const old = $("order-" + card.order_id);
    if (old) old.replaceWith(fresh);
    else if (onTop) $("orders").prepend(fresh);
    else $("orders").append(fresh);
  }

  async function loadOrders() {
    const data = await api("GET", "/staff/api/orders");
    $("orders").replaceChildren(...data.cards.map(renderCard));
  }

  async function refreshOrder(id) {
    try {
      putCard(await api("GET", "/staff/api/orders/" + id), true);
    } catch (e) {
      if (e.status !== 404 && e.status !== 403) throw e;
    }
  }

  // --- the handoff inbox -----------------------------------------------------------------

  function renderHandoff(h) {
    const msgs = el("ul", { class: "messages" });
    for (const m of h.last_messages) msgs.append(el("li", {}, el("span", { class: "role" }, m.role), m.text));
    const waited = Math.floor(h.waiting_seconds / 60);
    const node = el(
      "article",
      { class: "card handoff", id: "handoff-" + h.id, "data-taken": h.taken_by ? "yes" : "no" },
      el("div", { class: "head" }, el("span", {}, h.customer_name + " · " + h.channel), el("span", { class: "status" }, waited + " phút")),
      h.reason ? el("div", { class: "meta" }, "Lý do: " + h.reason) : null,
      h.taken_by_name ? el("div", { class: "meta taken" }, "Đang trả lời: " + h.taken_by_name) : null,
      msgs,
      buttonRow(h.buttons, applyInbox),
    );
    if (h.mine) node.append(replyForm(h));
    return node;
  }

  function replyForm(h) {
    const text = el("input", { name: "text", maxLength: 4000, placeholder: "Trả lời khách…" });
    const product = el("input", { name: "product_code", maxLength: 64, placeholder: "Mã sản phẩm (thẻ)" });
    const order = el("input", { name: "order_number", maxLength: 20, placeholder: "Số đơn (mã QR thanh toán)" });
    const form = el("form", { class: "reply", autocomplete: "off" }, text, product, order, el("button", { type: "submit" }, "Gửi"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const reply = await api("POST", "/staff/api/handoffs/" + h.id + "/reply", {
          text: text.value,
          product_code: product.value || null,
          order_number: order.value || null,
        });
        say(reply.ok ? "Đã gửi." : reply.text, reply.ok);
        if (reply.ok) {
          text.value = product.value = order.value = "";
          renderInbox(reply.handoffs);
        }
      } catch (e) {
        say(e.message, false);
      }
    });
    return form;
  }

  function renderInbox(list) {
    // A refresh (a new customer message, a colleague taking a chat) keeps replies being typed.
    const drafts = {};
    for (const input of $("inbox").querySelectorAll("form.reply input")) {
      drafts[input.closest(".handoff").id + "/" + input.name] = input.value;
    }
    $("inbox").replaceChildren(...list.map(renderHandoff));
    for (const input of $("inbox").querySelectorAll("form.reply input")) {
      const kept = drafts[input.closest(".handoff").id + "/" + input.name];
      if (kept) input.value = kept;
    }
    $("inbox-count").textContent = "(" + list.length + ")";
  }

  async function loadInbox() {
    const reply = await api("GET", "/staff/api/inbox");
    renderInbox(reply.ok ? reply.handoffs : []);
  }

  // --- live updates ----------------------------------------------------------------------

  function listen() {
    if (events) events.close();
    events = new EventSource("/staff/api/events");
    events.addEventListener("hello", () => {
      loadOrders();
      loadInbox();
    });
    events.addEventListener("order", (ev) => refreshOrder(JSON.parse(ev.data).order_id));
    events.addEventListener("inbox", () => loadInbox());
  }

  // --- log in, commands ------------------------------------------------------------------

  async function start() {
    try {
      me = await api("GET", "/staff/api/me");
    } catch (e) {
      $("login").hidden = false;
      $("desk").hidden = true;
      return;
    }
    csrf = me.csrf;
    $("who").textContent = me.name + " · " + me.role;
    $("login").hidden = true;
    $("desk").hidden = false;
    $("logout").hidden = false;
    await Promise.all([loadOrders(), loadInbox()]);
    listen();
  }

  async function login(body) {
    try {
      const out = await api("POST", "/staff/api/login", body);
      csrf = out.csrf;
      $("login-error").textContent = "";
      await start();
    } catch (e) {
      $("login-error").textContent = e.message;
      $("login").hidden = false;
    }
  }

  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const key = $("api-key").value.trim();
    $("api-key").value = "";
    login({ api_key: key });
  });

  $("logout").addEventListener("click", async () => {
    await api("POST", "/staff/api/logout", {});
    if (events) events.close();
    location.reload();
  });

  $("command-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("command").value.trim();
    if (!text) return;
    try {
      const reply = await api("POST", "/staff/api/command", { text });
      say(reply.text, reply.ok);
      showConfirmations(reply.confirmations || []);
      for (const card of reply.cards || []) putCard(card, true);
      if (reply.handoffs && reply.handoffs.length) renderInbox(reply.handoffs);
    } catch (e) {
      say(e.message, false);
    }
  });

  // A one-time login link: /staff#login=SECRET (the fragment never reaches a server log).
  const match = /^#login=([A-Za-z0-9_-]{8,100})$/.exec(location.hash);
  if (match) {
    history.replaceState(null, "", location.pathname);
    login({ login_secret: match[1] });
  } else {
    start();
  }
})();
