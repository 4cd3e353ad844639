// The simulator page: plain JS, no build step. Everything the user does goes to /simulator/page/*,
// which sends a signed, encrypted callback to /wecom/callback.
(function () {
  'use strict';
  var current = null;
  var lastRendered = '';
  var $ = function (id) { return document.getElementById(id); };

  // The page needs a console session of an admin; changes carry the session's CSRF token.
  var csrf = null;
  function signIn() {
    location.href = '/admin/?next=' + encodeURIComponent(location.pathname + location.search);
  }
  function loadSession() {
    return fetch('/api/auth/me', { credentials: 'same-origin' }).then(function (res) {
      if (res.status === 401) { signIn(); throw new Error('请先登录控制台'); }
      return res.json().then(function (me) { csrf = me.csrf_token; });
    });
  }

  function api(method, path, body) {
    var headers = body ? { 'Content-Type': 'application/json' } : {};
    if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
    return fetch('/simulator/page' + path, {
      method: method,
      headers: headers,
      credentials: 'same-origin',
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (res) {
      if (res.status === 401) { signIn(); throw new Error('请先登录控制台'); }
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(data.message || ('请求失败（' + res.status + '）'));
        return data;
      });
    });
  }

  function status(text) { $('status').textContent = text || ''; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function time(ms) { return new Date(ms).toLocaleString('zh-CN', { hour12: false }); }

  function loadUsers() {
    return api('GET', '/users').then(function (data) {
      var ul = $('users');
      ul.innerHTML = '';
      data.users.forEach(function (u) {
        var li = el('li', u.userid === current ? 'active' : '', (u.name || u.userid));
        li.appendChild(el('small', '', u.userid + (u.unit ? ' · ' + u.unit : '') + (u.role ? ' · ' + roleName(u.role) : '')));
        li.onclick = function () { select(u.userid); };
        ul.appendChild(li);
      });
      if (!data.users.length) ul.appendChild(el('li', '', '联系人表为空，可在下方输入账号'));
    }).catch(function (e) { status(e.message); });
  }

  function roleName(r) {
    return { primary: '主联系人', backup: 'AB角', leader: '分管领导', supervisor: '主管单位', admin: '管理员' }[r] || r;
  }

  function select(userid) {
    current = userid;
    lastRendered = '';
    $('who').textContent = '当前用户：' + userid;
    ['text', 'send', 'image'].forEach(function (id) { $(id).disabled = false; });
    loadUsers();
    poll();
  }

  /** Text with its http(s) links clickable (as WeCom shows them); never parsed as HTML. */
  function linkified(text) {
    var div = el('div', '');
    var re = /https?:\/\/[^\s，。；）]+/g;
    var last = 0, m;
    while ((m = re.exec(text))) {
      div.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = el('a', '', m[0]);
      a.href = m[0]; a.target = '_blank'; a.rel = 'noopener';
      div.appendChild(a);
      last = m.index + m[0].length;
    }
    div.appendChild(document.createTextNode(text.slice(last)));
    return div;
  }

  function renderCard(m, box) {
    var c = m.body || {};
    var card = el('div', 'card');
    card.appendChild(el('div', 'title', (c.main_title && c.main_title.title) || '卡片'));
    if (c.main_title && c.main_title.desc) card.appendChild(el('div', 'kv', c.main_title.desc));
    if (c.sub_title_text) card.appendChild(el('div', 'kv', c.sub_title_text));
    (c.horizontal_content_list || []).forEach(function (kv) {
      var row = el('div', 'kv', kv.keyname + '：');
      if (kv.type === 1 && kv.url) {
        var link = el('a', '', kv.value);
        link.href = kv.url; link.target = '_blank'; link.rel = 'noopener';
        row.appendChild(link);
      } else {
        row.appendChild(document.createTextNode(kv.value));
      }
      card.appendChild(row);
    });
    if (c.card_action && c.card_action.type === 1 && c.card_action.url) {
      var open = el('a', '', '打开详情');
      open.href = c.card_action.url; open.target = '_blank'; open.rel = 'noopener';
      card.appendChild(el('div', 'kv')).appendChild(open);
    }
    if (m.replacedName !== null) {
      card.appendChild(el('div', 'done', m.replacedName));
    } else {
      var buttons = el('div', 'buttons');
      (c.button_list || []).forEach(function (b) {
        var btn = el('button', '', b.text);
        btn.onclick = function () {
          btn.disabled = true;
          api('POST', '/click', { userid: current, msgid: m.msgid, key: b.key })
            .then(function () { status(''); poll(); })
            .catch(function (e) { status(e.message); btn.disabled = false; });
        };
        buttons.appendChild(btn);
      });
      card.appendChild(buttons);
    }
    box.appendChild(card);
  }

  function render(items) {
    var key = JSON.stringify(items);
    if (key === lastRendered) return;
    lastRendered = key;
    var tl = $('timeline');
    tl.innerHTML = '';
    items.forEach(function (m) {
      var box = el('div', 'msg ' + m.dir);
      box.appendChild(el('div', 'meta', (m.dir === 'in' ? '机器人 · ' : '我 · ') + time(m.at)));
      if (m.dir === 'out') {
        if (m.kind === 'image') {
          var img = el('img');
          img.src = '/simulator/page/media/' + encodeURIComponent(m.mediaId);
          img.alt = '截图';
          box.appendChild(img);
        } else if (m.kind === 'card_click') {
          box.appendChild(el('div', '', '点击了按钮：' + m.text));
        } else {
          box.appendChild(el('div', '', m.text));
        }
        if (m.status !== 200) box.appendChild(el('div', 'meta', '回调被拒绝（HTTP ' + m.status + '）'));
      } else if (m.msgtype === 'text' || m.msgtype === 'markdown') {
        box.appendChild(linkified((m.body && m.body.content) || ''));
      } else if (m.msgtype === 'textcard') {
        var c = el('div', 'card');
        c.appendChild(el('div', 'title', m.body.title));
        c.appendChild(el('div', 'kv', m.body.description));
        var a = el('a', '', m.body.btntxt || '详情');
        a.href = m.body.url; a.target = '_blank'; a.rel = 'noopener';
        c.appendChild(a);
        box.appendChild(c);
      } else if (m.msgtype === 'image') {
        var shot = el('img');
        shot.src = '/simulator/page/media/' + encodeURIComponent((m.body && m.body.media_id) || '');
        shot.alt = '截图';
        box.appendChild(shot);
      } else if (m.msgtype === 'template_card') {
        renderCard(m, box);
      } else {
        box.appendChild(el('div', '', '[' + m.msgtype + ']'));
      }
      tl.appendChild(box);
    });
    tl.scrollTop = tl.scrollHeight;
  }

  function poll() {
    if (!current) return;
    api('GET', '/messages?userid=' + encodeURIComponent(current))
      .then(function (data) { if (data.userid === current) render(data.items); })
      .catch(function (e) { status(e.message); });
  }

  $('composer').onsubmit = function (ev) {
    ev.preventDefault();
    var text = $('text').value;
    if (!current || !text.trim()) return;
    $('text').value = '';
    api('POST', '/text', { userid: current, content: text }).then(function () { status(''); poll(); })
      .catch(function (e) { status(e.message); $('text').value = text; });
  };

  $('image').onchange = function () {
    var f = $('image').files[0];
    if (!f || !current) return;
    var reader = new FileReader();
    reader.onload = function () {
      var data = String(reader.result).split(',')[1] || '';
      api('POST', '/image', { userid: current, name: f.name, mime: f.type, dataBase64: data })
        .then(function () { status(''); poll(); })
        .catch(function (e) { status(e.message); });
      $('image').value = '';
    };
    reader.readAsDataURL(f);
  };

  $('free-user').onsubmit = function (ev) {
    ev.preventDefault();
    var u = $('free-userid').value.trim();
    if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(u)) { status('账号只能包含字母、数字和 _ . @ -'); return; }
    $('free-userid').value = '';
    select(u);
  };

  loadSession().then(function () {
    loadUsers();
    // /simulator/?user=<userid> opens that user's chat (links, screenshots).
    var wanted = new URLSearchParams(location.search).get('user');
    if (wanted && /^[A-Za-z0-9_.@-]{1,64}$/.test(wanted)) select(wanted);
    setInterval(poll, 1500);
    setInterval(loadUsers, 10000);
  }).catch(function (e) { status(e.message); });
})();
