/*
 * Médiation Accueil — website chat widget.
 *
 * Vanilla JS, no build step, one IIFE. Talks to the Rasa `widget` channel
 * (bot/channels/widget.py): a session token minted by the server (POST /session),
 * the history (GET /history), erasure (DELETE /conversation) and socket.io for the
 * turns (user_uttered / bot_typing / bot_uttered).
 *
 * Safety: every piece of text (the person's and the assistant's) goes into the page
 * with textContent / createTextNode; links are <a> elements built with DOM APIs from
 * the `parts` the server cut each assistant message into (bot/channels/rendering.py):
 * http(s), or tel:/sms: for the numbers of the helplines table. No innerHTML anywhere.
 * The person's own text is never turned into links.
 */
(function () {
  'use strict';

  // Every word the widget shows: French, vouvoiement, short.
  var LABELS = {
    launcher: "Besoin d'aide ? Écrire à l'assistant",
    title: 'Médiation Accueil',
    close: 'Fermer',
    clear: 'Retirer mon accord et effacer',
    restart: 'Recommencer',
    restartWords: 'Recommencer',
    clearQuestion: 'Retirer votre accord et tout effacer ? Vos messages, vos réponses et, si vous avez pris rendez-vous, vos nom et coordonnées seront supprimés de nos serveurs.',
    clearConfirm: 'Oui, tout effacer',
    clearCancel: 'Annuler',
    cleared: 'Conversation effacée de nos serveurs. Une nouvelle conversation commence.',
    clearedBooking: 'Vos nom et coordonnées sont retirés du rendez-vous {reference} ; le créneau reste réservé.',
    clearFailed: "La conversation n'a pas pu être effacée. Veuillez réessayer.",
    log: 'Messages de la conversation',
    you: 'Vous : ',
    bot: "L'assistant : ",
    choices: 'Réponses proposées',
    inputLabel: 'Votre message',
    inputHint: 'Entrée pour envoyer, Maj + Entrée pour aller à la ligne.',
    send: 'Envoyer',
    typing: "L'assistant écrit…",
    connecting: 'Connexion en cours…',
    offline: 'Connexion perdue, reconnexion…',
    online: 'Connexion rétablie.',
    queued: 'Votre message sera envoyé dès le retour de la connexion.',
    unreachable: 'Le service est momentanément indisponible. Nouvel essai dans quelques secondes…',
    greeting: 'Bonjour',
    newWindow: ' (nouvelle fenêtre)',
    newMessages: 'Nouveaux messages',
    counter: '{count} / {max} caractères',
    tooLong: 'Votre message fait {count} caractères ; la limite est de {max}. Raccourcissez-le, s\'il vous plaît : quelques phrases suffisent.',
    emergency: "Numéros d'urgence"
  };

  var TOKEN_KEY = 'mediation-accueil.token';
  var OPEN_KEY = 'mediation-accueil.open';
  var MAX_CHARS = 2000;
  var COUNTER_FROM = 1500; // the counter shows from this many characters
  var URL_PATTERN = /https?:\/\/[^\s<>"']+/g;
  var SAFE_HREF = /^(?:https?:\/\/[^\s<>"']+|tel:\d{2,6}|sms:\d{2,6})$/;
  var BURST_MS = 1500; // assistant messages closer than this belong to one answer
  var NEAR_BOTTOM = 24; // px
  var fullScreenQuery = window.matchMedia ? window.matchMedia('(max-width: 30em), (max-height: 30em)') : null;

  var script = document.currentScript;
  var server = ((script && script.getAttribute('data-server')) || '').replace(/\/+$/, '');
  var origin = server || window.location.origin;
  var base = origin + '/webhooks/widget';

  var state = {
    token: null,
    conversation: null,
    expiresAt: null,
    socket: null,
    ready: false, // a session and its history are loaded
    open: false,
    greeted: false, // the greeting was sent for this conversation
    pending: [], // messages typed while offline, sent on (re)connection
    refreshing: null,
    refreshTimer: null,
    retryDelay: 500,
    typingTimer: null,
    noticeTimer: null,
    burstStart: null, // the first assistant message of the answer being received
    lastBotAt: 0,
    firstUnseen: null, // the first message below the visible part of the list
    emergencyDelay: 1000,
    erasing: false,
    rejoining: false, // reconnecting on purpose, with a new conversation's token
    wasOnline: false
  };

  // ---------------------------------------------------------------- storage

  function storageGet(store, key) {
    try { return window[store].getItem(key); } catch (e) { return null; }
  }
  function storageSet(store, key, value) {
    try {
      if (value === null) window[store].removeItem(key); else window[store].setItem(key, value);
    } catch (e) { /* private mode: the conversation is simply not kept */ }
  }

  // ---------------------------------------------------------------- DOM helpers

  function el(tag, className, attrs) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (attrs) {
      Object.keys(attrs).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    }
    return node;
  }
  function text(tag, className, value, attrs) {
    var node = el(tag, className, attrs);
    node.textContent = value;
    return node;
  }
  function button(className, label, attrs) {
    var node = text('button', 'ma-btn ' + className, label, attrs);
    node.type = 'button';
    return node;
  }

  // ---------------------------------------------------------------- the widget

  var root = el('div', 'ma-root', { lang: 'fr' });
  var launcher = el('button', 'ma-launcher', { 'aria-expanded': 'false', 'aria-controls': 'ma-panel' });
  launcher.type = 'button';
  launcher.appendChild(el('span', 'ma-launcher__icon', { 'aria-hidden': 'true' }));
  launcher.appendChild(text('span', 'ma-launcher__label', LABELS.launcher));

  var panel = el('section', 'ma-panel', { id: 'ma-panel', role: 'dialog', 'aria-labelledby': 'ma-title' });
  panel.hidden = true;

  var header = el('div', 'ma-header');
  var titles = el('div', 'ma-header__titles');
  titles.appendChild(text('h2', 'ma-title', LABELS.title, { id: 'ma-title' }));
  // Row 1: the title and « Fermer »; row 2: « Retirer mon accord et effacer » (DOM order = visual order).
  var clearButton = button('ma-btn--header ma-clear', LABELS.clear, { 'aria-controls': 'ma-confirm', 'aria-expanded': 'false' });
  var closeButton = button('ma-btn--header ma-close', LABELS.close);
  // « Recommencer »: the assistant starts again from the first question (the screen is cleared
  // when its answer says so, the `conversation_restarted` event).
  var restartButton = button('ma-btn--header ma-restart', LABELS.restart);
  var headerActions = el('div', 'ma-header__actions');
  headerActions.appendChild(clearButton);
  headerActions.appendChild(restartButton);
  header.appendChild(titles);
  header.appendChild(closeButton);
  header.appendChild(headerActions);

  // « En danger ? 17 · 112 · 114 (SMS) · 3919 · 119 »: filled from the server's helplines table.
  var emergency = el('p', 'ma-emergency', { id: 'ma-emergency' });
  emergency.hidden = true;

  var confirmBox = el('div', 'ma-confirm', { id: 'ma-confirm', role: 'group', 'aria-labelledby': 'ma-confirm-question' });
  confirmBox.hidden = true;
  confirmBox.appendChild(text('p', 'ma-confirm__question', LABELS.clearQuestion, { id: 'ma-confirm-question' }));
  var confirmActions = el('div', 'ma-confirm__actions');
  var confirmYes = button('ma-btn--danger ma-confirm__yes', LABELS.clearConfirm);
  var confirmNo = button('ma-btn--secondary ma-confirm__no', LABELS.clearCancel);
  confirmActions.appendChild(confirmYes);
  confirmActions.appendChild(confirmNo);
  confirmBox.appendChild(confirmActions);

  var log = el('div', 'ma-log', { role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': LABELS.log, tabindex: '0' });
  var logWrap = el('div', 'ma-log-wrap');
  var newMessagesButton = button('ma-btn--primary ma-new', LABELS.newMessages);
  newMessagesButton.appendChild(el('span', 'ma-new__arrow', { 'aria-hidden': 'true' }));
  newMessagesButton.hidden = true;
  logWrap.appendChild(log);
  logWrap.appendChild(newMessagesButton);
  var typing = el('div', 'ma-typing', { role: 'status', 'aria-live': 'polite' });
  var status = el('p', 'ma-status', { role: 'status', 'aria-live': 'polite' });

  var form = el('form', 'ma-form', { novalidate: '' });
  form.appendChild(text('label', 'ma-label', LABELS.inputLabel, { 'for': 'ma-input' }));
  var row = el('div', 'ma-form__row');
  // No maxlength: a long paste is kept whole and the person is told (counter and notice) instead of losing the end.
  var input = el('textarea', 'ma-input', { id: 'ma-input', rows: '1', 'aria-describedby': 'ma-hint ma-count', autocomplete: 'off' });
  var sendButton = text('button', 'ma-btn ma-btn--primary ma-send', LABELS.send);
  sendButton.type = 'submit';
  row.appendChild(input);
  row.appendChild(sendButton);
  form.appendChild(row);
  var counter = el('p', 'ma-count', { id: 'ma-count' });
  counter.hidden = true;
  var tooLong = el('p', 'ma-too-long', { id: 'ma-too-long', role: 'alert' });
  form.appendChild(tooLong);
  form.appendChild(counter);
  form.appendChild(text('p', 'ma-hint', LABELS.inputHint, { id: 'ma-hint' }));

  panel.appendChild(header);
  panel.appendChild(emergency);
  panel.appendChild(confirmBox);
  panel.appendChild(logWrap);
  panel.appendChild(typing);
  panel.appendChild(status);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);

  // ---------------------------------------------------------------- rendering

  /** A link built with DOM APIs: http(s) opens a new window; tel:/sms: dial or text a number. */
  function link(href, label, srText) {
    if (!SAFE_HREF.test(href)) return document.createTextNode(label);
    var web = /^https?:/.test(href);
    var node = el('a', 'ma-link', web ? { target: '_blank', rel: 'noopener noreferrer' } : null);
    node.href = href;
    node.textContent = label;
    if (srText) node.appendChild(text('span', 'ma-sr', srText));
    if (web) node.appendChild(text('span', 'ma-sr', LABELS.newWindow));
    return node;
  }

  /** Plain text with its line breaks (CSS pre-wrap): the person's own words, never links. */
  function appendPlainText(parent, value) {
    parent.appendChild(document.createTextNode(value));
  }

  /** An assistant message as the server cut it: plain parts and links. */
  function appendParts(parent, parts) {
    parts.forEach(function (part) {
      if (!part || typeof part.text !== 'string') return;
      if (typeof part.href === 'string') parent.appendChild(link(part.href, part.text));
      else parent.appendChild(document.createTextNode(part.text));
    });
  }

  /** An assistant message without parts (an older server): its http(s) URLs as links. */
  function appendRichText(parent, value) {
    var last = 0;
    var match;
    URL_PATTERN.lastIndex = 0;
    while ((match = URL_PATTERN.exec(value)) !== null) {
      var url = match[0].replace(/[.,;:!?)\]»]+$/, '');
      if (match.index > last) parent.appendChild(document.createTextNode(value.slice(last, match.index)));
      parent.appendChild(link(url, url));
      last = match.index + url.length;
      URL_PATTERN.lastIndex = last;
    }
    if (last < value.length) parent.appendChild(document.createTextNode(value.slice(last)));
  }

  function renderEmergency(data) {
    var numbers = data && Array.isArray(data.numbers) ? data.numbers : [];
    if (!numbers.length || typeof data.label !== 'string') return false;
    emergency.textContent = '';
    emergency.appendChild(text('span', 'ma-emergency__label', data.label));
    emergency.appendChild(document.createTextNode(' '));
    var list = el('span', 'ma-emergency__numbers', { role: 'group', 'aria-label': LABELS.emergency });
    numbers.forEach(function (line, index) {
      if (!line || typeof line.number !== 'string' || typeof line.href !== 'string') return;
      if (index) list.appendChild(text('span', 'ma-emergency__sep', ' · ', { 'aria-hidden': 'true' }));
      var label = line.number + (typeof line.suffix === 'string' ? line.suffix : '');
      list.appendChild(link(line.href, label, typeof line.label === 'string' ? ', ' + line.label : ''));
    });
    emergency.appendChild(list);
    emergency.hidden = false;
    return true;
  }

  function loadEmergency() {
    request('GET', '/emergency').then(renderEmergency).catch(function () {
      state.emergencyDelay = Math.min(state.emergencyDelay * 2, 30000);
      setTimeout(loadEmergency, state.emergencyDelay);
    });
  }

  // ------------------------------------------------------------ keeping the right message in view

  /** A node's top, in the list's scrolled content. */
  function contentTop(node) {
    return node.getBoundingClientRect().top - log.getBoundingClientRect().top + log.scrollTop;
  }
  function maxScroll() {
    return Math.max(0, log.scrollHeight - log.clientHeight);
  }
  function scrollLog(top) {
    log.scrollTop = Math.max(0, Math.min(top, maxScroll())); // instant: the CSS has no smooth scrolling
  }
  function scrollToBottom() {
    scrollLog(maxScroll());
    hideNewMessages();
  }
  /** The person can see at least the beginning of this node. */
  function inView(node) {
    return contentTop(node) < log.scrollTop + log.clientHeight - 8;
  }
  function nearBottom() {
    return maxScroll() - log.scrollTop <= NEAR_BOTTOM;
  }
  function showNewMessages(from) {
    if (!state.firstUnseen || !state.firstUnseen.parentNode) state.firstUnseen = from;
    newMessagesButton.hidden = false;
  }
  function hideNewMessages() {
    state.firstUnseen = null;
    newMessagesButton.hidden = true;
  }

  /**
   * Where the list goes when an assistant message arrives. The first message of an answer
   * comes to the top of the list (several messages arriving together: the verdict or the
   * booking reference stays in view, not only the last question); the following ones
   * stay below, with « Nouveaux messages » if they go past the bottom. If the person had
   * scrolled up to read, the list does not move: « Nouveaux messages » takes them there.
   */
  function placeBotMessage(item, following) {
    var now = Date.now();
    var sameAnswer = state.burstStart && state.burstStart.parentNode && now - state.lastBotAt < BURST_MS;
    state.lastBotAt = now;
    if (!sameAnswer) {
      state.burstStart = item;
      state.burstFollowing = following;
      if (following) hideNewMessages(); // the list moves on to this answer
    }
    // Again for each message of the answer: the list could not scroll the first one to the
    // top while it was the last one.
    if (state.burstFollowing) scrollLog(contentTop(state.burstStart) - 12);
    if (!state.burstFollowing) {
      showNewMessages(item);
    } else if (contentTop(item) + item.offsetHeight > log.scrollTop + log.clientHeight + 1) {
      showNewMessages(item);
    }
  }

  function removeChoices() {
    var groups = log.querySelectorAll('.ma-choices');
    for (var i = 0; i < groups.length; i++) groups[i].parentNode.removeChild(groups[i]);
  }

  function renderChoices(item, buttons) {
    var group = el('div', 'ma-choices', { role: 'group', 'aria-label': LABELS.choices });
    buttons.forEach(function (choice) {
      if (!choice || typeof choice.payload !== 'string') return;
      var title = String(choice.title || choice.payload);
      var node = button('ma-btn--choice ma-choice', title);
      node.addEventListener('click', function () {
        choose(title, choice.payload);
      });
      group.appendChild(node);
    });
    if (group.childNodes.length) item.appendChild(group);
  }

  /**
   * One message in the list. `place`: 'live' (an assistant message arriving now: see
   * placeBotMessage; the person's own message: the list goes to the bottom) or 'history'
   * (no scrolling, done once the history is shown).
   */
  function addMessage(sender, value, buttons, parts, place) {
    var user = sender === 'user';
    var last = log.lastElementChild;
    var following = !last || inView(last) || nearBottom();
    var item = el('div', 'ma-msg ma-msg--' + (user ? 'user' : 'bot'));
    var bubble = el('p', 'ma-msg__text');
    bubble.appendChild(text('span', 'ma-sr', user ? LABELS.you : LABELS.bot));
    var words = String(value == null ? '' : value);
    if (user) appendPlainText(bubble, words);
    else if (Array.isArray(parts) && parts.length) appendParts(bubble, parts);
    else appendRichText(bubble, words);
    item.appendChild(bubble);
    if (!user && buttons && buttons.length) {
      removeChoices();
      renderChoices(item, buttons);
    }
    log.appendChild(item);
    if (place !== 'history') {
      if (user) {
        state.burstStart = null;
        scrollToBottom();
      } else {
        placeBotMessage(item, following);
      }
    }
    return item;
  }

  function clearLog() {
    while (log.firstChild) log.removeChild(log.firstChild);
  }

  function renderHistory(messages) {
    clearLog();
    messages.forEach(function (message) {
      addMessage(message.sender, message.text, null, message.parts, 'history');
    });
    var lastMessage = messages[messages.length - 1];
    if (!state.pending.length && lastMessage && lastMessage.sender === 'bot' && lastMessage.buttons && lastMessage.buttons.length) {
      renderChoices(log.lastChild, lastMessage.buttons);
    }
    // Messages typed while the server could not be reached are still on their way: keep them shown.
    state.pending.forEach(function (data) { addMessage('user', data.title || data.message, null, null, 'history'); });
    state.burstStart = null;
    scrollToBottom();
  }

  /**
   * The typing indicator lasts as long as the wait: on as soon as the person sends (for a
   * few seconds, until the server confirms), then until the server says the last turn in
   * progress has ended. `guard`: ms after which it goes off by itself if nothing comes.
   */
  function setTyping(on, guard) {
    clearTimeout(state.typingTimer);
    if (on) {
      typing.textContent = '';
      typing.appendChild(text('span', 'ma-typing__text', LABELS.typing));
      var dots = el('span', 'ma-typing__dots', { 'aria-hidden': 'true' });
      for (var i = 0; i < 3; i++) dots.appendChild(el('span', 'ma-typing__dot'));
      typing.appendChild(dots);
      typing.classList.add('ma-typing--on');
      state.typingTimer = setTimeout(function () { setTyping(false); }, guard || 300000);
    } else {
      typing.textContent = '';
      typing.classList.remove('ma-typing--on');
    }
  }

  var statusTimer = null;
  function setStatus(message, kind) {
    clearTimeout(statusTimer);
    status.textContent = message || '';
    status.className = 'ma-status' + (message ? ' ma-status--' + (kind || 'info') : '');
    if (message && kind === 'ok') {
      statusTimer = setTimeout(function () { setStatus(''); }, 4000);
    }
  }

  // ---------------------------------------------------------------- server

  function request(method, path, body) {
    var headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (state.token && path !== '/session' && path !== '/emergency') headers.Authorization = 'Bearer ' + state.token;
    return fetch(base + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store'
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error((data && data.error && data.error.code) || ('http_' + response.status));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function acceptSession(data) {
    if (!data || typeof data.token !== 'string' || typeof data.conversation !== 'string') {
      throw new Error('bad_session');
    }
    var changed = data.conversation !== state.conversation;
    state.token = data.token;
    state.conversation = data.conversation;
    state.expiresAt = data.expires_at ? Date.parse(data.expires_at) : null;
    storageSet('localStorage', TOKEN_KEY, data.token);
    scheduleRefresh();
    return changed;
  }

  /** A session token: the previous one refreshed (same conversation) or a new conversation. */
  function newSession(previous) {
    var body = previous ? { token: previous } : {};
    return request('POST', '/session', body).catch(function (error) {
      if (previous && error.status && error.status !== 403) return request('POST', '/session', {});
      throw error;
    }).then(acceptSession);
  }

  function refreshSession() {
    if (!state.refreshing) {
      state.refreshing = newSession(state.token).then(function (changed) {
        state.refreshing = null;
        if (changed) return loadHistory();
      }, function (error) {
        state.refreshing = null;
        throw error;
      });
    }
    return state.refreshing;
  }

  function scheduleRefresh() {
    clearTimeout(state.refreshTimer);
    if (!state.expiresAt || isNaN(state.expiresAt)) return;
    var wait = Math.max(30000, (state.expiresAt - Date.now()) * 0.8);
    state.refreshTimer = setTimeout(function () {
      refreshSession().catch(function () { /* retried on the next reconnection */ });
    }, Math.min(wait, 2147483000));
  }

  function loadHistory() {
    return request('GET', '/history').then(function (data) {
      var messages = (data && Array.isArray(data.messages)) ? data.messages : [];
      renderHistory(messages);
      state.greeted = messages.length > 0;
    });
  }

  function connectSocket() {
    if (typeof window.io !== 'function') {
      setStatus(LABELS.unreachable, 'error');
      return;
    }
    if (state.socket) {
      state.socket.disconnect();
      state.socket.connect();
      return;
    }
    var socket = window.io(origin, {
      path: '/socket.io',
      auth: function (callback) { callback({ token: state.token }); },
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000
    });
    state.socket = socket;
    socket.on('connect', function () {
      if (state.rejoining) state.rejoining = false; // our own reconnection: keep the status shown
      else if (state.wasOnline) setStatus(LABELS.online, 'ok');
      else setStatus('');
      state.wasOnline = true;
      state.retryDelay = 500;
      flushPending();
      maybeGreet();
    });
    socket.on('disconnect', function (reason) {
      setTyping(false);
      if (reason !== 'io client disconnect') setStatus(LABELS.offline, 'warning');
    });
    socket.on('connect_error', function () {
      setTyping(false);
      if (socket.active) {
        // A network problem: socket.io reconnects by itself.
        setStatus(LABELS.offline, 'warning');
        return;
      }
      // Refused by the server (expired or unknown token): a new session, then again.
      setStatus(LABELS.connecting, 'warning');
      refreshSession().then(function () {
        setTimeout(function () { socket.connect(); }, nextDelay());
      }, function () {
        setStatus(LABELS.unreachable, 'error');
        setTimeout(function () { socket.connect(); }, nextDelay());
      });
    });
    socket.on('conversation_erased', function () {
      // Erased from another tab, or from inside the conversation (« effacer mes données »
      // typed or its button: the server's reply carries it). This tab's own erase button
      // is handled in clearConversation.
      if (state.erasing) return;
      state.pending = [];
      clearLog();
      setTyping(false);
      setStatus(LABELS.cleared, 'ok');
      setTimeout(function () {
        // The tab that erased stored the new conversation's token: join it.
        var stored = storageGet('localStorage', TOKEN_KEY);
        newSession(stored && stored !== state.token ? stored : null).then(function () {
          state.greeted = false;
          return loadHistory();
        }).then(function () {
          rejoin();
        }).catch(function () { setStatus(LABELS.unreachable, 'error'); });
      }, 1000);
    });
    socket.on('conversation_restarted', function () {
      // « recommencer » typed or pressed: the assistant starts again; what follows is its answer.
      removeChoices();
      clearLog();
    });
    socket.on('bot_typing', function (data) {
      var on = !!(data && data.typing);
      setTyping(on);
      if (!on) state.burstStart = null; // the turn is over: the next message starts a new answer
    });
    socket.on('bot_uttered', function (data) {
      if (!data) return;
      var value = typeof data.text === 'string' ? data.text : '';
      var buttons = Array.isArray(data.buttons) ? data.buttons : null;
      if (!value && !buttons) return;
      addMessage('bot', value, buttons, Array.isArray(data.parts) ? data.parts : null, 'live');
    });
  }

  /** Reconnect with the current token (a new conversation's). */
  function rejoin() {
    state.rejoining = true;
    state.socket.disconnect();
    state.socket.connect();
  }

  function nextDelay() {
    var delay = state.retryDelay;
    state.retryDelay = Math.min(state.retryDelay * 2, 30000);
    return delay;
  }

  function start() {
    setStatus(LABELS.connecting, 'info');
    newSession(storageGet('localStorage', TOKEN_KEY))
      .then(loadHistory)
      .then(function () {
        state.ready = true;
        connectSocket();
      })
      .catch(function () {
        setStatus(LABELS.unreachable, 'error');
        setTimeout(start, nextDelay());
      });
  }

  // ---------------------------------------------------------------- sending

  function online() {
    return !!(state.ready && state.socket && state.socket.connected);
  }

  function emit(data) {
    if (online()) {
      state.socket.emit('user_uttered', data);
      setTyping(true, 15000); // until the server's own bot_typing, which keeps it on for the whole turn
    } else {
      state.pending.push(data);
      setStatus(LABELS.queued, 'warning');
    }
  }

  function flushPending() {
    var queued = state.pending;
    state.pending = [];
    queued.forEach(function (data) { state.socket.emit('user_uttered', data); });
  }

  function send(value) {
    var message = value.replace(/\s+$/, '');
    if (!message.trim()) return false;
    if (message.length > MAX_CHARS) {
      updateCounter(true); // said again, never cut without a word
      return false;
    }
    removeChoices();
    addMessage('user', message);
    state.greeted = true;
    emit({ message: message });
    return true;
  }

  function formatCount(count) {
    try { return count.toLocaleString('fr-FR'); } catch (e) { return String(count); }
  }

  /** « 1 650 / 2 000 caractères » near the limit; past it, a notice and the field marked invalid. */
  function updateCounter(announceAgain) {
    var count = input.value.replace(/\s+$/, '').length;
    var over = count > MAX_CHARS;
    if (count >= COUNTER_FROM) {
      counter.textContent = LABELS.counter.replace('{count}', formatCount(count)).replace('{max}', formatCount(MAX_CHARS));
      counter.hidden = false;
    } else {
      counter.textContent = '';
      counter.hidden = true;
    }
    counter.classList.toggle('ma-count--over', over);
    clearTimeout(state.noticeTimer);
    if (over) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', 'ma-too-long ma-count ma-hint');
      var notice = LABELS.tooLong.replace('{count}', formatCount(count)).replace('{max}', formatCount(MAX_CHARS));
      if (announceAgain) {
        // Emptied, then filled again a moment later: screen readers say the alert again.
        tooLong.textContent = '';
        state.noticeTimer = setTimeout(function () { tooLong.textContent = notice; }, 100);
      } else {
        tooLong.textContent = notice;
      }
    } else if (input.hasAttribute('aria-invalid')) {
      input.removeAttribute('aria-invalid');
      input.setAttribute('aria-describedby', 'ma-hint ma-count');
      tooLong.textContent = '';
    }
  }

  function choose(title, payload) {
    removeChoices();
    addMessage('user', title);
    state.greeted = true;
    emit({ payload: payload, title: title });
    input.focus();
  }

  /** An empty conversation starts with a greeting, so the assistant introduces itself. */
  function maybeGreet() {
    if (state.open && state.ready && !state.greeted && !log.firstChild && online()) {
      state.greeted = true;
      addMessage('user', LABELS.greeting);
      emit({ message: LABELS.greeting });
    }
  }

  // ---------------------------------------------------------------- open, close, clear

  function openPanel(moveFocus) {
    state.open = true;
    panel.hidden = false;
    root.classList.add('ma-root--open');
    launcher.setAttribute('aria-expanded', 'true');
    storageSet('sessionStorage', OPEN_KEY, '1');
    fitViewport();
    scrollToBottom();
    if (moveFocus !== false) input.focus();
    maybeGreet();
  }

  function closePanel() {
    state.open = false;
    hideConfirm(false);
    panel.hidden = true;
    root.classList.remove('ma-root--open');
    launcher.setAttribute('aria-expanded', 'false');
    storageSet('sessionStorage', OPEN_KEY, null);
    fitViewport();
    launcher.focus();
  }

  function showConfirm() {
    confirmBox.hidden = false;
    clearButton.setAttribute('aria-expanded', 'true');
    confirmNo.focus();
  }

  function hideConfirm(restoreFocus) {
    confirmBox.hidden = true;
    clearButton.setAttribute('aria-expanded', 'false');
    if (restoreFocus) clearButton.focus();
  }

  function clearConversation() {
    confirmYes.disabled = true;
    state.erasing = true;
    var erasedStatus = LABELS.cleared;
    request('DELETE', '/conversation')
      .then(function (report) {
        // Tell what was erased: the booking keeps its slot but loses the person.
        var reference = report && typeof report.booking_anonymised === 'string' ? report.booking_anonymised : null;
        if (reference) erasedStatus = LABELS.cleared + ' ' + LABELS.clearedBooking.replace('{reference}', reference);
      }, function (error) {
        // 401: the token no longer names a conversation; a fresh one is all we can do.
        if (error.status !== 401) throw error;
      })
      .then(function () {
        storageSet('localStorage', TOKEN_KEY, null);
        state.pending = [];
        clearLog();
        setTyping(false);
        return newSession(null);
      })
      .then(function () {
        state.greeted = false;
        hideConfirm(false);
        setStatus(erasedStatus, 'ok');
        input.value = '';
        input.focus();
        if (state.socket) {
          rejoin(); // the greeting follows on `connect`
        } else {
          maybeGreet();
        }
      })
      .catch(function () {
        setStatus(LABELS.clearFailed, 'error');
        confirmNo.focus();
      })
      .then(function () {
        confirmYes.disabled = false;
        state.erasing = false;
      });
  }

  // ---------------------------------------------------------------- events

  launcher.addEventListener('click', function () {
    if (state.open) closePanel(); else openPanel(true);
  });
  closeButton.addEventListener('click', closePanel);
  restartButton.addEventListener('click', function () {
    choose(LABELS.restartWords, '/start_over');
  });
  clearButton.addEventListener('click', function () {
    if (confirmBox.hidden) showConfirm(); else hideConfirm(true);
  });
  confirmNo.addEventListener('click', function () { hideConfirm(true); });
  confirmYes.addEventListener('click', clearConversation);

  panel.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' || event.key === 'Esc') {
      event.preventDefault();
      if (!confirmBox.hidden) hideConfirm(true); else closePanel();
    }
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (send(input.value)) {
      input.value = '';
      resizeInput();
      updateCounter();
    }
    input.focus();
  });

  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (typeof form.requestSubmit === 'function') form.requestSubmit();
      else form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });

  function resizeInput() {
    input.style.height = 'auto';
    input.style.height = input.scrollHeight + 'px';
  }
  input.addEventListener('input', function () {
    resizeInput();
    updateCounter();
  });

  newMessagesButton.addEventListener('click', function () {
    var target = state.firstUnseen;
    hideNewMessages();
    if (target && target.parentNode) scrollLog(contentTop(target) - 12);
    else scrollToBottom();
    log.focus({ preventScroll: true });
  });

  log.addEventListener('scroll', function () {
    if (!newMessagesButton.hidden && nearBottom()) hideNewMessages(); // everything has been seen
  });

  /**
   * Phones: the on-screen keyboard covers the bottom of the layout viewport (iOS, and
   * Chrome for Android since version 108) instead of resizing it. Full screen, the panel
   * follows the visual viewport, so the field, the send button and the latest question
   * stay above the keyboard.
   */
  function fitViewport() {
    var viewport = window.visualViewport;
    var fullScreen = fullScreenQuery ? fullScreenQuery.matches : false;
    if (state.open && fullScreen && viewport && Math.abs(viewport.scale - 1) < 0.01
        && viewport.height < window.innerHeight - 1) {
      root.style.top = viewport.offsetTop + 'px';
      root.style.height = viewport.height + 'px';
      root.style.bottom = 'auto';
    } else {
      root.style.removeProperty('top');
      root.style.removeProperty('height');
      root.style.removeProperty('bottom');
    }
  }

  function viewportHeight() {
    return window.visualViewport ? window.visualViewport.height : window.innerHeight;
  }
  var lastViewportHeight = viewportHeight();
  function onViewportChange() {
    var height = viewportHeight();
    fitViewport();
    var shrank = height < lastViewportHeight;
    lastViewportHeight = height;
    if (!state.open) return;
    // The keyboard opened while the person writes: show the latest question, above the field.
    if (shrank && document.activeElement === input) scrollToBottom();
  }
  if (window.visualViewport) {
    window.visualViewport.addEventListener('resize', onViewportChange);
    window.visualViewport.addEventListener('scroll', fitViewport);
  }
  window.addEventListener('resize', onViewportChange);

  // ---------------------------------------------------------------- start

  function mount() {
    document.body.appendChild(root);
    loadEmergency();
    if (storageGet('sessionStorage', OPEN_KEY) === '1') openPanel(false);
    start();
  }

  window.MediationAccueil = {
    open: function () { openPanel(true); },
    close: closePanel
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
  else mount();
})();
