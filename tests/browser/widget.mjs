// The website widget in a real headless Chromium (Debian's, driven by playwright-core).
//
//   node tests/browser/widget.mjs <demo URL> <artefacts dir> <fixtures.json>
//
// fixtures.json: assistant messages rendered by bot/channels/rendering.py (written by
// tests/e2e/test_widget_browser.py), injected on the real socket where a scenario would need
// a long conversation to reach them (a booking confirmation).
//
// e.g. node tests/browser/widget.mjs http://127.0.0.1:5005/webhooks/widget/demo reports/browser
// Runs against the real servers (tests/e2e/test_widget_browser.py starts them). Every
// scenario asserts; the first failure prints a clear message, saves a screenshot and
// exits 1. Screenshots of each screen go to the artefacts directory.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const widgetDir = path.resolve(here, '..', '..', 'widget');
const require = createRequire(path.join(widgetDir, 'package.json'));
const { chromium } = require('playwright-core');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const [demoUrl, artefacts = 'reports/browser', fixturesPath] = process.argv.slice(2);
if (!demoUrl) {
  console.error('usage: node tests/browser/widget.mjs <demo URL> <artefacts dir>');
  process.exit(2);
}
fs.mkdirSync(artefacts, { recursive: true });
const origin = new URL(demoUrl).origin;

const TURN = 90_000; // one assistant turn, generous on a busy 2-core machine
const DESCRIPTION = 'Une haie de thuyas de 4 mètres dépasse chez moi et personne ne veut la tailler'; // names no party: « autre partie » is asked
const XSS = '<img src=x onerror=alert(1)>';

class Failure extends Error {}
function check(condition, message) {
  if (!condition) throw new Failure(message);
}

const started = Date.now();
const log = (message) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${message}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const problems = []; // page errors, CSP refusals, alert() calls: checked after each scenario
let current = null; // the page a failure screenshot is taken of

async function newPage(options = {}) {
  const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`JavaScript error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
  });
  page.on('dialog', async (dialog) => {
    problems.push(`a ${dialog.type()}() ran: HTML injection (${dialog.message()})`);
    await dialog.dismiss();
  });
  page.sessions = []; // the conversation ids the server gave this page, in order
  page.on('response', async (response) => {
    if (response.url().endsWith('/webhooks/widget/session') && response.request().method() === 'POST') {
      try { page.sessions.push((await response.json()).conversation); } catch { /* closed */ }
    }
  });
  page.sent = []; // socket.io frames the page sent
  page.on('websocket', (socket) => socket.on('framesent', (frame) => page.sent.push(String(frame.payload))));
  current = page;
  return page;
}

async function shot(page, name) {
  const file = path.join(artefacts, name);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

// ------------------------------------------------------------------ helpers on the page

const W = {
  launcher: '.ma-launcher',
  panel: '#ma-panel',
  log: '.ma-log',
  input: '#ma-input',
  send: '.ma-send',
  choice: '.ma-choice',
  bot: '.ma-msg--bot .ma-msg__text',
  user: '.ma-msg--user .ma-msg__text',
};

async function texts(page, selector) {
  return page.$$eval(selector, (nodes) => nodes.map((node) => node.textContent));
}

/** Wait until a bot message containing `fragment` is shown (after `after` bot messages). */
async function waitBot(page, fragment, { after = 0, timeout = TURN } = {}) {
  try {
    await page.waitForFunction(({ selector, fragment, after }) => {
      const all = [...document.querySelectorAll(selector)].slice(after);
      return all.some((node) => node.textContent.includes(fragment));
    }, { selector: W.bot, fragment, after }, { timeout, polling: 100 });
  } catch {
    const seen = (await texts(page, W.bot)).slice(-4).join(' | ');
    throw new Failure(`expected the assistant to say « ${fragment} »; last messages: ${seen || '(none)'}`);
  }
}

async function botCount(page) {
  return (await page.$$(W.bot)).length;
}

async function choiceTitles(page) {
  return texts(page, W.choice);
}

async function waitChoices(page, expected) {
  try {
    await page.waitForFunction(({ selector, expected }) => {
      const titles = [...document.querySelectorAll(selector)].map((node) => node.textContent);
      return expected.every((title) => titles.includes(title));
    }, { selector: W.choice, expected }, { timeout: TURN, polling: 100 });
  } catch {
    throw new Failure(`expected reply buttons ${JSON.stringify(expected)}; shown: ${JSON.stringify(await choiceTitles(page))}`);
  }
}

async function waitIdle(page) {
  await page.waitForFunction(() => !document.querySelector('.ma-typing--on'), null, { timeout: TURN });
}

async function activeInfo(page) {
  return page.evaluate(() => {
    const node = document.activeElement;
    return {
      id: node && node.id,
      className: node && typeof node.className === 'string' ? node.className : '',
      text: node ? (node.textContent || '').trim() : '',
      outline: node ? getComputedStyle(node).outlineStyle : 'none',
    };
  });
}

function sentPayload(page, payload) {
  return page.sent.some((frame) => frame.includes('user_uttered') && frame.includes(JSON.stringify(payload).slice(1, -1)));
}

/** Widget layout checks for small or zoomed screens. */
async function layout(page) {
  return page.evaluate(() => {
    const panel = document.querySelector('#ma-panel');
    const panelBox = panel.getBoundingClientRect();
    // The part of an element that shows: inside the window and inside the panel (which clips).
    const box = (selector) => {
      const node = document.querySelector(selector);
      if (!node) return null;
      const r = node.getBoundingClientRect();
      const clipped = r.top < panelBox.top - 0.5 || r.bottom > panelBox.bottom + 0.5
        || r.left < panelBox.left - 0.5 || r.right > panelBox.right + 0.5;
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height, clipped };
    };
    const overflowing = [...panel.querySelectorAll('*')].filter((node) => {
      const r = node.getBoundingClientRect();
      return r.width > 0 && (r.right > window.innerWidth + 0.5 || r.left < -0.5);
    }).map((node) => node.className || node.tagName);
    return {
      viewport: { width: window.innerWidth, height: window.innerHeight },
      pageScrollWidth: document.documentElement.scrollWidth,
      panelScrollWidth: panel.scrollWidth,
      panelClientWidth: panel.clientWidth,
      panel: box('#ma-panel'),
      input: box('#ma-input'),
      send: box('.ma-send'),
      title: box('#ma-title'),
      close: box('.ma-close'),
      overflowing,
    };
  });
}

function assertFits(measure, where) {
  const { viewport } = measure;
  check(measure.panelScrollWidth <= measure.panelClientWidth + 1,
    `${where}: the panel scrolls sideways (${measure.panelScrollWidth} > ${measure.panelClientWidth} px)`);
  check(measure.pageScrollWidth <= viewport.width + 1,
    `${where}: the page scrolls sideways (${measure.pageScrollWidth} > ${viewport.width} px)`);
  check(measure.overflowing.length === 0, `${where}: elements outside the screen: ${measure.overflowing.join(', ')}`);
  for (const name of ['input', 'send', 'title', 'close']) {
    const r = measure[name];
    check(r && r.width > 0 && r.height > 0, `${where}: ${name} is not shown`);
    check(!r.clipped, `${where}: ${name} is cut off by the panel (${JSON.stringify(r)})`);
    check(r.left >= -0.5 && r.right <= viewport.width + 0.5 && r.top >= -0.5 && r.bottom <= viewport.height + 0.5,
      `${where}: ${name} is not fully visible (${JSON.stringify(r)} in ${viewport.width}×${viewport.height})`);
  }
}

/** axe-core (WCAG 2.1 A and AA rules) on the widget; CSP is bypassed for axe's own script only in this context. */
async function axe(page, where) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const report = await axe.run({ include: [['.ma-root']] }, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return report.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  });
  check(result.length === 0, `${where}: accessibility (axe-core) violations:\n  ${result.join('\n  ')}`);
  log(`axe-core: no WCAG 2.1 AA violation (${where})`);
}

// ------------------------------------------------------------------ scenarios

async function scenarioConversation() {
  const page = await newPage();
  await page.goto(demoUrl);
  check(await page.title() === 'Médiation Accueil — démonstration', `unexpected page title: ${await page.title()}`);
  const launcher = page.locator(W.launcher);
  await launcher.waitFor({ timeout: 15_000 });
  check(await launcher.getAttribute('aria-expanded') === 'false', 'launcher: aria-expanded should be false at first');
  check(await launcher.getAttribute('aria-controls') === 'ma-panel', 'launcher: aria-controls should name the panel');
  check(/Besoin d'aide/.test(await launcher.textContent()), 'launcher: French label missing');
  check(await page.locator(W.panel).isHidden(), 'panel shown before the launcher is clicked');

  await launcher.click();
  check(await page.locator(W.panel).isVisible(), 'the panel did not open');
  check(await launcher.getAttribute('aria-expanded') === 'true', 'launcher: aria-expanded should be true when open');
  check(await page.locator(W.panel).getAttribute('role') === 'dialog', 'panel: role=dialog missing');
  check((await activeInfo(page)).id === 'ma-input', 'opening the panel should focus the message field');
  const logNode = page.locator(W.log);
  check(await logNode.getAttribute('aria-live') === 'polite' && await logNode.getAttribute('role') === 'log',
    'message list: role=log and aria-live=polite expected');

  await waitBot(page, "assistant d'accueil");
  await waitChoices(page, ["J'accepte", 'Je refuse', 'En savoir plus']);
  check(page.sessions.length >= 1 && /^widget-[0-9a-f]+$/.test(page.sessions[0]), `server-minted conversation id expected, got ${page.sessions}`);
  log(`welcome and consent buttons shown (conversation ${page.sessions[0]})`);

  await page.getByRole('button', { name: "J'accepte" }).click();
  await waitBot(page, 'Décrivez votre situation');
  check(sentPayload(page, { payload: '/affirm', title: "J'accepte" }), 'the consent click did not send {payload: "/affirm", title}');
  check((await texts(page, W.user)).some((t) => t.includes("J'accepte")), "the button title « J'accepte » is not shown as the person's message");
  check(!(await choiceTitles(page)).includes('Je refuse'), 'the consent buttons are still there after the click');
  log('consent given with a click');

  // The typing indicator shows while the assistant works.
  await page.evaluate(() => {
    window.__typingSeen = false;
    const typing = document.querySelector('.ma-typing');
    new MutationObserver(() => {
      if (typing.classList.contains('ma-typing--on') && typing.textContent.includes('écrit')) window.__typingSeen = true;
    }).observe(typing, { attributes: true, childList: true, subtree: true });
  });
  const before = await botCount(page);
  await page.locator(W.input).fill(DESCRIPTION);
  await page.locator(W.input).press('Enter');
  check(await page.locator(W.input).inputValue() === '', 'the message field was not emptied after Enter');
  await waitBot(page, "conflit de voisinage, c'est bien ça ?", { after: before });
  check(await page.evaluate(() => window.__typingSeen), 'the typing indicator « L\'assistant écrit… » never showed');
  await waitChoices(page, ['Oui', 'Non']);
  log('description typed, classification asked');

  const beforeConfirm = await botCount(page);
  await page.getByRole('button', { name: 'Oui', exact: true }).click();
  await waitBot(page, 'autre partie', { after: beforeConfirm });
  await waitIdle(page);
  check(sentPayload(page, { payload: '/affirm', title: 'Oui' }), 'the « Oui » click did not send {payload: "/affirm"}');
  const whiteSpace = await page.$eval(W.bot, (node) => getComputedStyle(node).whiteSpace);
  check(whiteSpace === 'pre-wrap', `bot text should keep line breaks (white-space: pre-wrap), got ${whiteSpace}`);
  await shot(page, 'widget-desktop.png');
  log('classification confirmed with a click');
  return page;
}

async function scenarioReload(page) {
  const conversation = page.sessions[page.sessions.length - 1];
  await page.reload();
  await page.waitForFunction((text) => [...document.querySelectorAll('.ma-msg__text')].some((n) => n.textContent.includes(text)),
    DESCRIPTION, { timeout: 30_000 }).catch(() => { throw new Failure('after a reload the history was not shown'); });
  check(await page.locator(W.panel).isVisible(), 'the panel should stay open across a reload');
  check(page.sessions[page.sessions.length - 1] === conversation,
    `after a reload the conversation changed (${conversation} -> ${page.sessions[page.sessions.length - 1]})`);
  const shown = (await texts(page, '.ma-msg__text')).join('\n');
  for (const fragment of ["J'accepte", "conflit de voisinage, c'est bien ça ?", 'autre partie']) {
    check(shown.includes(fragment), `the history after reload lacks « ${fragment} »`);
  }
  log('history shown after reload, same conversation');
  await shot(page, 'widget-reload.png');

  // …and the conversation goes on.
  await page.waitForFunction(() => !/Connexion/.test(document.querySelector('.ma-status').textContent), null, { timeout: 30_000 });
  const before = await botCount(page);
  await page.locator(W.input).fill("mon voisin d'à côté");
  await page.locator(W.send).click();
  await waitBot(page, 'toujours voisins', { after: before });
  await waitIdle(page);
  log('the conversation continues after the reload');
}

async function scenarioInjection(page) {
  const before = await botCount(page);
  await page.locator(W.input).fill(XSS);
  await page.locator(W.input).press('Enter');
  await page.waitForFunction((count) => document.querySelectorAll('.ma-msg--bot').length > count, before, { timeout: TURN });
  await waitIdle(page);
  const check1 = await page.evaluate((xss) => ({
    shownAsText: [...document.querySelectorAll('.ma-msg--user .ma-msg__text')].some((n) => n.textContent.includes(xss)),
    images: document.querySelectorAll('.ma-root img').length,
  }), XSS);
  check(check1.shownAsText, 'the typed HTML was not shown as text');
  check(check1.images === 0, 'typed HTML created an <img> element (HTML injection)');
  await page.reload();
  await page.waitForFunction((xss) => [...document.querySelectorAll('.ma-msg--user .ma-msg__text')].some((n) => n.textContent.includes(xss)),
    XSS, { timeout: 30_000 }).catch(() => { throw new Failure('the typed HTML is not in the history as text after a reload'); });
  check(await page.evaluate(() => document.querySelectorAll('.ma-root img').length) === 0, 'the history created an <img> element (HTML injection)');
  log('HTML typed by the person is shown as text, live and in the history');
}

async function scenarioClear(page) {
  const oldConversation = page.sessions[page.sessions.length - 1];
  const oldToken = await page.evaluate(() => localStorage.getItem('mediation-accueil.token'));
  await page.getByRole('button', { name: 'Retirer mon accord et effacer' }).click();
  const confirm = page.locator('.ma-confirm');
  check(await confirm.isVisible(), 'the erase confirmation did not show');
  check((await activeInfo(page)).className.includes('ma-confirm__no'), 'focus should move to the confirmation (« Annuler »)');
  await shot(page, 'widget-confirm.png');
  const sessionsBefore = page.sessions.length;
  await page.getByRole('button', { name: 'Oui, tout effacer' }).click();
  await page.waitForFunction((text) => ![...document.querySelectorAll('.ma-msg__text')].some((n) => n.textContent.includes(text)),
    DESCRIPTION, { timeout: 30_000 }).catch(() => { throw new Failure('the old messages are still shown after erasing'); });
  await waitBot(page, "assistant d'accueil"); // the new conversation's welcome
  await waitChoices(page, ["J'accepte"]);
  check(await confirm.isHidden(), 'the confirmation is still shown after erasing');
  const shown = (await texts(page, '.ma-msg__text')).join('\n');
  check(!shown.includes(DESCRIPTION) && !shown.includes('toujours voisins') && !shown.includes(XSS), 'old messages are still shown after erasing');
  const newConversation = page.sessions[page.sessions.length - 1];
  check(page.sessions.length > sessionsBefore && newConversation !== oldConversation,
    `erasing should start a new conversation (was ${oldConversation}, now ${newConversation})`);
  check((await activeInfo(page)).id === 'ma-input', 'after erasing, focus should be in the message field');
  check(/effacée/.test(await page.locator('.ma-status').textContent()), 'no « Conversation effacée » status');
  // The old conversation is gone on the server too.
  const oldHistory = await page.evaluate(async ({ origin, token }) => {
    const reply = await fetch(`${origin}/webhooks/widget/history`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: reply.status, body: await reply.json() };
  }, { origin, token: oldToken });
  check(oldHistory.status === 401 || (oldHistory.body.messages || []).length === 0,
    `the erased conversation still has a history on the server: ${JSON.stringify(oldHistory).slice(0, 300)}`);
  await page.reload();
  await waitBot(page, "assistant d'accueil", { timeout: 30_000 });
  const afterReload = (await texts(page, '.ma-msg__text')).join('\n');
  check(!afterReload.includes(DESCRIPTION) && !afterReload.includes(XSS), 'the erased history came back after a reload');
  check(page.sessions[page.sessions.length - 1] === newConversation, 'after erasing and reloading, the new conversation should be kept');
  await shot(page, 'widget-cleared.png');
  log('conversation erased: list emptied, new welcome, old history gone after reload');
}

async function scenarioTypedErasure() {
  // Issue 16 (5, 7): text typed with a leading « / » is sent as text, never as a payload; and
  // « effacer mes données » typed in the conversation clears the screen, as the erase button does.
  const page = await newPage();
  await page.goto(demoUrl);
  await page.locator(W.launcher).click();
  await waitBot(page, "assistant d'accueil");
  await waitIdle(page);
  const typed = '/affirm';
  await page.locator(W.input).fill(typed);
  await page.locator(W.input).press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('.ma-msg--bot').length > 1, null, { timeout: TURN });
  await waitIdle(page);
  check(page.sent.some((frame) => frame.includes('user_uttered') && frame.includes('"message":"/affirm"')),
    'typed text starting with « / » was not sent as a message');
  check(!page.sent.some((frame) => frame.includes('"payload":"/affirm"')), 'typed text was sent as a button payload');
  check(!(await texts(page, W.bot)).some((t) => t.includes('Décrivez votre situation')), 'typed « /affirm » gave the consent');
  const conversation = page.sessions[page.sessions.length - 1];
  await page.locator(W.input).fill('effacer mes données');
  await page.locator(W.input).press('Enter');
  await page.waitForFunction(() => /effacée/.test(document.querySelector('.ma-status').textContent), null,
    { timeout: TURN }).catch(() => { throw new Failure('typed « effacer mes données » did not clear the screen'); });
  await page.waitForFunction(() => ![...document.querySelectorAll('.ma-msg--user .ma-msg__text')]
    .some((n) => n.textContent.includes('effacer mes données') || n.textContent.includes('/affirm')), null,
  { timeout: 30_000 }).catch(() => { throw new Failure('the erased messages are still on the screen'); });
  await waitBot(page, "assistant d'accueil"); // a new conversation's welcome
  check(page.sessions[page.sessions.length - 1] !== conversation, 'the typed erasure should start a new conversation');
  await shot(page, 'widget-typed-erasure.png');
  log('typed « / » text sent as text; typed erasure cleared the screen and started anew');
  await page.context().close();
}

async function scenarioKeyboard() {
  const page = await newPage();
  await page.goto(demoUrl);
  await page.locator(W.launcher).waitFor();
  let reached = false;
  for (let i = 0; i < 20 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = (await activeInfo(page)).className.includes('ma-launcher');
  }
  check(reached, 'the launcher cannot be reached with Tab');
  check((await activeInfo(page)).outline !== 'none', 'the focused launcher has no visible focus outline');
  await page.keyboard.press('Enter');
  check(await page.locator(W.panel).isVisible(), 'Enter on the launcher did not open the panel');
  check((await activeInfo(page)).id === 'ma-input', 'opening with the keyboard should focus the message field');
  await waitBot(page, "assistant d'accueil");
  await waitChoices(page, ["J'accepte"]);
  await waitIdle(page);

  // Type the situation first (before consent), send with Enter.
  let before = await botCount(page);
  await page.keyboard.type(DESCRIPTION);
  await page.keyboard.press('Shift+Enter');
  check((await page.locator(W.input).inputValue()).endsWith('\n'), 'Shift+Enter should add a line break, not send');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Enter');
  await waitBot(page, 'Acceptez-vous', { after: before });
  await waitChoices(page, ["J'accepte"]);
  await waitIdle(page);

  // Shift+Tab back from the field to the reply button, then Space.
  reached = false;
  for (let i = 0; i < 10 && !reached; i++) {
    await page.keyboard.press('Shift+Tab');
    const info = await activeInfo(page);
    reached = info.className.includes('ma-choice') && info.text === "J'accepte";
  }
  check(reached, "the « J'accepte » button cannot be reached with the keyboard");
  check((await activeInfo(page)).outline !== 'none', 'the focused reply button has no visible focus outline');
  before = await botCount(page);
  await page.keyboard.press('Space');
  await waitBot(page, "conflit de voisinage, c'est bien ça ?", { after: before });
  check((await activeInfo(page)).id === 'ma-input', 'after a reply button, focus should go back to the message field');
  await waitChoices(page, ['Oui']);
  await waitIdle(page);

  // Tab forward from the top of the panel to « Oui », then Enter.
  reached = false;
  for (let i = 0; i < 20 && !reached; i++) {
    await page.keyboard.press('Tab');
    const info = await activeInfo(page);
    reached = info.className.includes('ma-choice') && info.text === 'Oui';
  }
  check(reached, 'the « Oui » button cannot be reached with Tab');
  before = await botCount(page);
  await page.keyboard.press('Enter');
  await waitBot(page, 'autre partie', { after: before });
  await waitIdle(page);
  await shot(page, 'widget-keyboard.png');

  await page.keyboard.press('Escape');
  check(await page.locator(W.panel).isHidden(), 'Escape did not close the panel');
  const info = await activeInfo(page);
  check(info.className.includes('ma-launcher'), `after Escape focus should return to the launcher, not ${info.className || info.id}`);
  check(await page.locator(W.launcher).getAttribute('aria-expanded') === 'false', 'aria-expanded should be false after closing');
  log('keyboard only: launcher, typing, Enter, reply buttons with Space and Enter, Escape back to the launcher');
  await page.context().close();
}

async function scenarioSmallScreens() {
  // A 360-px-wide phone.
  let page = await newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await page.goto(demoUrl);
  await page.locator(W.launcher).waitFor();
  const launcherBox = await page.locator(W.launcher).boundingBox();
  check(launcherBox.x >= 0 && launcherBox.x + launcherBox.width <= 360, `the launcher does not fit a 360-px screen: ${JSON.stringify(launcherBox)}`);
  await page.locator(W.launcher).tap();
  await waitBot(page, "assistant d'accueil");
  await waitChoices(page, ["J'accepte"]);
  let measure = await layout(page);
  assertFits(measure, '360×740 phone');
  check(measure.panel.width >= 359 && measure.panel.height >= 739, `on a phone the panel should fill the screen, got ${JSON.stringify(measure.panel)}`);
  await shot(page, 'widget-mobile.png');
  log('360 px phone: full-screen panel, no sideways scrolling, field and button visible');
  await page.context().close();

  // Browser zoom at 200 % on a 1280×800 window: 640×400 CSS pixels at 2 device pixels each.
  page = await newPage({ viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 });
  await page.goto(demoUrl);
  await page.locator(W.launcher).click();
  await waitBot(page, "assistant d'accueil");
  measure = await layout(page);
  assertFits(measure, '200 % zoom (640×400 CSS px)');
  await shot(page, 'widget-zoom200.png');
  await page.context().close();

  // Text enlarged to 200 % (root font size) in a 640×800 window.
  page = await newPage({ viewport: { width: 640, height: 800 } });
  await page.goto(demoUrl);
  await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
  await page.locator(W.launcher).click();
  await waitBot(page, "assistant d'accueil");
  await waitChoices(page, ["J'accepte"]);
  measure = await layout(page);
  assertFits(measure, 'text at 200 % (640×800)');
  await shot(page, 'widget-text200.png');
  log('200 % zoom and 200 % text: no sideways scrolling, field and button visible');
  await page.context().close();
}

async function scenarioAccessibility() {
  // axe-core is injected as a script, which the demo page's CSP forbids: bypass it here only.
  const page = await newPage({ bypassCSP: true });
  await page.goto(demoUrl);
  await page.locator(W.launcher).waitFor();
  await axe(page, 'closed widget');
  await page.locator(W.launcher).click();
  await waitBot(page, "assistant d'accueil");
  await waitChoices(page, ["J'accepte"]);
  await waitIdle(page);
  await page.getByRole('button', { name: 'Retirer mon accord et effacer' }).click();
  await axe(page, 'open widget with messages, buttons and the erase confirmation');
  await page.context().close();
}

async function scenarioOffline() {
  // The server unreachable at first, then the connection lost mid-conversation: the widget
  // says so in French, recovers by itself, and a message typed while offline is not lost.
  const page = await newPage();
  let down = true;
  const sockets = [];
  await page.route(/\/webhooks\/widget\/session$/, (route) => (down ? route.abort('connectionrefused') : route.continue()));
  await page.route(/\/socket\.io\//, (route) => (down ? route.abort('connectionrefused') : route.continue()));
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (down) { ws.close(); return; }
    sockets.push(ws);
    ws.connectToServer();
  });
  await page.goto(demoUrl);
  await page.locator(W.launcher).click();
  await page.waitForFunction(() => /indisponible/.test(document.querySelector('.ma-status').textContent), null, { timeout: 15_000 })
    .catch(() => { throw new Failure('no French « service indisponible » status while the server cannot be reached'); });
  await shot(page, 'widget-unreachable.png');
  down = false;
  await waitBot(page, "assistant d'accueil", { timeout: TURN });
  await waitChoices(page, ["J'accepte"]);
  await waitIdle(page);
  log('server unreachable: French status, then the welcome once it is back');

  down = true;
  for (const ws of sockets.splice(0)) await ws.close();
  await page.waitForFunction(() => /Connexion perdue/.test(document.querySelector('.ma-status').textContent), null, { timeout: 15_000 })
    .catch(() => { throw new Failure('no « Connexion perdue, reconnexion… » status after the connection dropped'); });
  const before = await botCount(page);
  await page.getByRole('button', { name: "J'accepte" }).click();
  check((await texts(page, W.user)).some((t) => t.includes("J'accepte")), 'a choice made while offline is not shown');
  await page.waitForTimeout(1500);
  check(await botCount(page) === before, 'the assistant answered while offline?');
  down = false;
  await waitBot(page, 'Décrivez votre situation', { after: before });
  await page.waitForFunction(() => !/Connexion perdue|envoyé dès/.test(document.querySelector('.ma-status').textContent), null, { timeout: 15_000 })
    .catch(() => { throw new Failure('the offline status stayed after reconnecting'); });
  log('connection lost: « Connexion perdue » shown, the choice made offline sent after the reconnection');

  // A forged token in the browser gets a new, server-minted conversation, never the forged one.
  const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3aWRnZXQtZm9yZ2VkIn0.c2lnbmF0dXJl';
  await page.evaluate((token) => localStorage.setItem('mediation-accueil.token', token), forged);
  const count = page.sessions.length;
  await page.reload();
  await waitBot(page, "assistant d'accueil", { timeout: TURN });
  const minted = page.sessions.slice(count);
  check(minted.length >= 1 && minted.every((id) => id !== 'widget-forged' && /^widget-[0-9a-f]+$/.test(id)),
    `a forged token should give a new server-minted conversation, got ${minted}`);
  check(!(await texts(page, W.user)).some((t) => t.includes("J'accepte")), 'the previous conversation showed up with a forged token');
  log('forged token: a new server-minted conversation');
  await page.context().close();
}

// ------------------------------------------------------------------ §5: what a person meets (desktop and phone)

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const DESKTOP = { viewport: { width: 1280, height: 800 } };
const KEYBOARD = 336; // CSS px an on-screen keyboard takes on a 390×844 phone
const EMERGENCY = [['17', 'tel:17'], ['112', 'tel:112'], ['114 (SMS)', 'sms:114'], ['3919', 'tel:3919'], ['119', 'tel:119']];

/**
 * A stand-in for window.visualViewport, installed before the widget loads: it follows the
 * real one until window.__keyboard(px) says an on-screen keyboard covers the bottom of the
 * screen without resizing the page (iOS, Chrome for Android ≥ 108), as a real keyboard does.
 */
function installKeyboardStub() {
  const real = window.visualViewport;
  const fake = new EventTarget();
  let covered = 0;
  const values = {
    width: () => real.width, scale: () => real.scale, offsetLeft: () => real.offsetLeft, pageLeft: () => real.pageLeft,
    offsetTop: () => real.offsetTop, pageTop: () => real.pageTop, height: () => real.height - covered,
  };
  for (const [name, get] of Object.entries(values)) Object.defineProperty(fake, name, { get });
  real.addEventListener('resize', () => fake.dispatchEvent(new Event('resize')));
  Object.defineProperty(window, 'visualViewport', { configurable: true, get: () => fake });
  window.__keyboard = (px) => { covered = px; fake.dispatchEvent(new Event('resize')); };
}

/** Records when the typing indicator goes on and off and when assistant messages arrive. */
async function watchTurns(page) {
  await page.evaluate(() => {
    window.__turnEvents = [];
    const typing = document.querySelector('.ma-typing');
    let on = typing.classList.contains('ma-typing--on');
    new MutationObserver(() => {
      const now = typing.classList.contains('ma-typing--on');
      if (now !== on) window.__turnEvents.push(now ? 'on' : 'off');
      on = now;
    }).observe(typing, { attributes: true, attributeFilter: ['class'] });
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) if (node.classList && node.classList.contains('ma-msg--bot')) window.__turnEvents.push('bot');
      }
    }).observe(document.querySelector('.ma-log'), { childList: true });
  });
}

/** Where a message and the list are on screen: is the message's top in view? */
async function messageView(page, index) {
  return page.evaluate((index) => {
    const logNode = document.querySelector('.ma-log');
    const node = document.querySelectorAll('.ma-msg--bot')[index];
    const list = logNode.getBoundingClientRect();
    const box = node.getBoundingClientRect();
    return { top: box.top, bottom: box.bottom, listTop: list.top, listBottom: list.bottom, text: node.textContent.slice(0, 80),
      topInView: box.top >= list.top - 1 && box.top < list.bottom - 20,
      atBottom: logNode.scrollHeight - logNode.scrollTop - logNode.clientHeight <= 2 };
  }, index);
}

async function newMessagesShown(page) {
  return page.locator('.ma-new').isVisible();
}

async function checkEmergencyLine(page, where) {
  const line = page.locator('.ma-emergency');
  await line.waitFor({ state: 'visible', timeout: 15_000 }).catch(() => { throw new Failure(`${where}: no permanent emergency line`); });
  const shown = await line.evaluate((node) => {
    const copy = node.cloneNode(true);
    copy.querySelectorAll('.ma-sr').forEach((hidden) => hidden.remove()); // for screen readers only
    return copy.textContent.replace(/\s+/g, ' ').trim();
  });
  check(shown === 'En danger ? 17 · 112 · 114 (SMS) · 3919 · 119', `${where}: emergency line reads « ${shown} »`);
  const links = await page.$$eval('.ma-emergency a', (nodes) => nodes.map((node) => {
    const box = node.getBoundingClientRect();
    return { text: node.childNodes[0].textContent, href: node.getAttribute('href'), name: node.textContent, target: node.target,
      width: box.width, height: box.height, top: box.top, bottom: box.bottom };
  }));
  check(JSON.stringify(links.map((l) => [l.text, l.href])) === JSON.stringify(EMERGENCY),
    `${where}: emergency links ${JSON.stringify(links.map((l) => [l.text, l.href]))}`);
  for (const l of links) {
    check(l.width >= 24 && l.height >= 24, `${where}: the ${l.text} link is smaller than 24×24 px (${l.width}×${l.height})`);
    check(l.top >= 0 && l.bottom <= (await page.evaluate(() => window.innerHeight)), `${where}: the ${l.text} link is off screen`);
    check(l.name.length > l.text.length && !l.target, `${where}: the ${l.text} link has no label for screen readers, or opens a window`);
  }
}

/** The field, the send button and the latest question: visible above `bottom` (the keyboard's top). */
async function inputAndQuestionVisible(page, bottom, where) {
  const r = await page.evaluate(() => {
    const box = (node) => { const b = node.getBoundingClientRect(); return { top: b.top, bottom: b.bottom }; };
    const bots = document.querySelectorAll('.ma-msg--bot .ma-msg__text');
    return { input: box(document.querySelector('#ma-input')), send: box(document.querySelector('.ma-send')),
      title: box(document.querySelector('#ma-title')), list: box(document.querySelector('.ma-log')),
      question: box(bots[bots.length - 1]), emergency: box(document.querySelector('.ma-emergency')) };
  });
  for (const name of ['input', 'send', 'title', 'emergency']) {
    check(r[name].top >= -0.5 && r[name].bottom <= bottom + 0.5, `${where}: ${name} hidden (${JSON.stringify(r[name])}, keyboard at ${bottom})`);
  }
  check(r.question.bottom <= Math.min(r.list.bottom, bottom) + 1 && r.question.bottom > r.list.top + 20,
    `${where}: the latest question is not in view (${JSON.stringify(r.question)}, list ${JSON.stringify(r.list)})`);
}

async function scenarioHelp(kind) {
  const where = kind === 'phone' ? '390×844 phone' : '1280×800 desktop';
  const page = await newPage(kind === 'phone' ? PHONE : DESKTOP);
  if (kind === 'phone') await page.addInitScript(installKeyboardStub);
  await page.goto(demoUrl);
  await page.locator(W.launcher).click();
  await checkEmergencyLine(page, where);

  // The welcome and the consent arrive together: the welcome, first, is in view.
  await waitBot(page, "assistant d'accueil");
  await waitChoices(page, ["J'accepte"]);
  await waitIdle(page);
  let view = await messageView(page, 0);
  check(view.topInView, `${where}: the first message of the welcome is off screen (${JSON.stringify(view)})`);

  // A person in danger writes before consenting: the safety message, with its numbers as
  // links, comes into view first, whatever follows it; the emergency line stays in view.
  await watchTurns(page);
  let before = await botCount(page);
  await page.locator(W.input).fill('Mon mari me frappe');
  await page.locator(W.input).press('Enter');
  await waitBot(page, 'Votre sécurité passe avant tout', { after: before });
  await waitIdle(page);
  const safetyIndex = (await texts(page, W.bot)).findIndex((t, i) => i >= before && t.includes('Votre sécurité passe avant tout'));
  check(safetyIndex === before, `${where}: the safety message is not the first answer`);
  view = await messageView(page, safetyIndex);
  check(view.topInView && (view.top <= view.listTop + 40 || view.atBottom),
    `${where}: the safety message is not brought into view at the top of the list (${JSON.stringify(view)})`);
  const safetyLinks = await page.$$eval('.ma-msg--bot', (nodes, i) => [...nodes[i].querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href')]), safetyIndex);
  for (const [number, href] of [['17', 'tel:17'], ['112', 'tel:112'], ['114', 'sms:114'], ['3919', 'tel:3919']]) {
    check(safetyLinks.some(([t, h]) => t === number && h === href), `${where}: ${number} is not a ${href} link in the safety message: ${JSON.stringify(safetyLinks)}`);
  }
  const after = await botCount(page);
  if (after > before + 1 && !(await messageView(page, after - 1)).atBottom) {
    check(await newMessagesShown(page), `${where}: messages below the view and no « Nouveaux messages »`);
  }
  await checkEmergencyLine(page, `${where}, after the safety message`);
  const events = await page.evaluate(() => window.__turnEvents);
  const lastBot = events.lastIndexOf('bot');
  check(events[0] === 'on' && !events.slice(0, lastBot).includes('off'),
    `${where}: the typing indicator did not last the whole wait: ${events.join(' ')}`);
  await shot(page, `widget-safety-${kind}.png`);
  log(`${where}: emergency line, safety message in view with tel:/sms: links, typing indicator for the whole wait`);

  // « Nouveaux messages » when the person has scrolled up to read.
  if (await newMessagesShown(page)) await page.locator('.ma-new').click();
  await page.locator(W.input).fill('Quels sont les numéros utiles ?');
  before = await botCount(page);
  await page.locator(W.input).press('Enter');
  await page.evaluate(() => { document.querySelector('.ma-log').scrollTop = 0; });
  await page.waitForFunction((n) => document.querySelectorAll('.ma-msg--bot').length > n, before, { timeout: TURN });
  await waitIdle(page);
  check(await page.evaluate(() => document.querySelector('.ma-log').scrollTop) === 0, `${where}: the list moved while the person was reading above`);
  check(await newMessagesShown(page), `${where}: no « Nouveaux messages » after answers arrived while scrolled up`);
  await shot(page, `widget-new-messages-${kind}.png`);
  await page.locator('.ma-new').click();
  view = await messageView(page, before);
  check(view.topInView, `${where}: « Nouveaux messages » did not bring the first new message into view (${JSON.stringify(view)})`);
  check(!(await newMessagesShown(page)), `${where}: « Nouveaux messages » still shown after the click`);
  check((await activeInfo(page)).className.includes('ma-log'), `${where}: focus should go to the list after « Nouveaux messages »`);
  log(`${where}: « Nouveaux messages » when scrolled up, and it brings the first new message into view`);

  // A 5,000-character paste: kept whole, a counter and a notice, nothing sent until shortened.
  const sentBefore = page.sent.length;
  const userBefore = (await texts(page, W.user)).length;
  await page.locator(W.input).fill(`${'Voici mon histoire. '.repeat(250).trim()}.`);
  check((await page.locator(W.input).inputValue()).length === 5000, `${where}: the paste was cut`);
  const notice = page.locator('.ma-too-long');
  check(/5\s000 caractères ; la limite est de 2\s000/.test(await notice.textContent()), `${where}: no notice for a 5,000-character message: « ${await notice.textContent()} »`);
  check(await notice.getAttribute('role') === 'alert', `${where}: the notice is not announced (role=alert)`);
  check(/5\s000 \/ 2\s000 caractères/.test(await page.locator('.ma-count').textContent()), `${where}: no counter « 5 000 / 2 000 »`);
  check(await page.locator(W.input).getAttribute('aria-invalid') === 'true', `${where}: the field is not marked invalid`);
  await shot(page, `widget-too-long-${kind}.png`);
  await page.locator(W.input).press('Enter');
  check((await texts(page, W.user)).length === userBefore && !page.sent.slice(sentBefore).some((f) => f.includes('Voici mon histoire')),
    `${where}: a message over 2,000 characters was sent`);
  check((await page.locator(W.input).inputValue()).length === 5000, `${where}: the text was lost on Enter`);
  await page.locator(W.input).fill(`${'Voici mon histoire. '.repeat(99).trim()}.`);
  check(!(await notice.textContent()) && await page.locator(W.input).getAttribute('aria-invalid') === null,
    `${where}: the notice stayed after shortening`);
  check(/1\s980 \/ 2\s000/.test(await page.locator('.ma-count').textContent()), `${where}: no counter near the limit`);
  await page.locator(W.input).fill('');
  check(await page.locator('.ma-count').isHidden(), `${where}: the counter shows for an empty field`);
  log(`${where}: 5,000-character paste kept, counter and notice, not sent until shortened`);

  if (kind === 'phone') {
    // The on-screen keyboard opens (covering the bottom, the page not resized): the field,
    // the send button and the latest question stay in view above it.
    await page.locator(W.input).tap();
    await page.evaluate((px) => window.__keyboard(px), KEYBOARD);
    await page.waitForTimeout(100);
    await inputAndQuestionVisible(page, 844 - KEYBOARD, `${where}, keyboard over the page`);
    await shot(page, 'widget-keyboard-phone.png');
    await page.evaluate(() => window.__keyboard(0));
    // …and when the keyboard resizes the page instead (Android with resizes-content).
    await page.setViewportSize({ width: 390, height: 844 - KEYBOARD });
    await page.waitForTimeout(100);
    await inputAndQuestionVisible(page, 844 - KEYBOARD, `${where}, keyboard resizing the page`);
    await page.setViewportSize({ width: 390, height: 844 });
    log(`${where}: keyboard open: field, send button and latest question in view`);
  }
  await page.context().close();
}

/** Bare domains as links, a number not in the table left as text; several messages at once
 *  with the booking (server-rendered by bot/channels/rendering.py) on the real socket. */
async function scenarioLinks(kind) {
  const where = kind === 'phone' ? '390×844 phone' : '1280×800 desktop';
  const page = await newPage(kind === 'phone' ? PHONE : DESKTOP);
  const sockets = [];
  await page.routeWebSocket(/\/socket\.io\//, (ws) => { sockets.push(ws); ws.connectToServer(); });
  await page.goto(demoUrl);
  await page.locator(W.launcher).click();
  await waitBot(page, "assistant d'accueil");
  await waitChoices(page, ['Je refuse']);
  await waitIdle(page);
  const before = await botCount(page);
  await page.getByRole('button', { name: 'Je refuse' }).click();
  await waitBot(page, 'conciliateurs.fr', { after: before });
  const refusal = await page.$$eval('.ma-msg--bot', (nodes) => {
    const node = nodes.find((n) => n.textContent.includes('conciliateurs.fr'));
    return [...node.querySelectorAll('a')].map((a) => ({ text: a.childNodes[0].textContent, href: a.getAttribute('href'), target: a.target, rel: a.rel }));
  });
  const domain = refusal.find((l) => l.text === 'conciliateurs.fr');
  check(domain && domain.href === 'https://conciliateurs.fr' && domain.target === '_blank' && /noopener/.test(domain.rel),
    `${where}: conciliateurs.fr is not a safe link: ${JSON.stringify(refusal)}`);
  check(!refusal.some((l) => l.text.includes('3039')), `${where}: 3039 (not in the helplines table) became a link`);
  await waitIdle(page);

  // The booking confirmation, its routes and a question arrive together, as the server renders them.
  const fixtures = JSON.parse(fs.readFileSync(fixturesPath, 'utf8'));
  const first = await botCount(page);
  const socket = sockets[sockets.length - 1];
  check(socket, `${where}: no websocket to inject the booking messages on`);
  for (const message of fixtures.booking) socket.send(`42${JSON.stringify(['bot_uttered', message])}`);
  await page.waitForFunction((n) => document.querySelectorAll('.ma-msg--bot').length >= n, first + fixtures.booking.length, { timeout: 10_000 });
  const view = await messageView(page, first);
  check(view.topInView && (view.top <= view.listTop + 40 || view.atBottom), `${where}: the booking confirmation is not in view (${JSON.stringify(view)})`);
  if (!view.atBottom) check(await newMessagesShown(page), `${where}: messages below the booking and no « Nouveaux messages »`);
  const calendar = await page.$$eval('.ma-msg--bot', (nodes, i) => {
    const node = nodes[i];
    const a = [...node.querySelectorAll('a')].find((l) => l.href.includes('.ics'));
    return { shown: node.querySelector('.ma-msg__text').innerText, text: a && a.childNodes[0].textContent, href: a && a.getAttribute('href') };
  }, first);
  check(calendar.text === fixtures.calendarLabel && calendar.href === fixtures.calendarUrl,
    `${where}: the calendar link is not labelled: ${JSON.stringify(calendar)}`);
  check(!calendar.shown.includes('?code=') && !calendar.shown.includes('http'), `${where}: the calendar URL is shown raw: ${calendar.shown}`);
  check(calendar.shown.includes('MED-7K2Q'), `${where}: the booking reference is not shown`);
  check(await page.evaluate(() => document.querySelectorAll('.ma-root img, .ma-root script').length) === 0, `${where}: HTML created from a message`);
  await shot(page, `widget-booking-${kind}.png`);
  log(`${where}: bare domains as links, the booking in view with its labelled calendar link`);
  await page.context().close();
}

async function scenarioHelpAxe() {
  const page = await newPage({ ...PHONE, bypassCSP: true });
  await page.goto(demoUrl);
  await page.locator(W.launcher).click();
  await waitBot(page, "assistant d'accueil");
  await waitIdle(page);
  await checkEmergencyLine(page, 'axe, phone');
  await page.locator(W.input).fill('x'.repeat(2100));
  await page.evaluate(() => { document.querySelector('.ma-log').scrollTop = 0; });
  await page.locator(W.input).focus();
  await axe(page, 'phone: emergency line, counter and notice of a too-long message');
  await page.context().close();
}

const scenarios = [
  ['1. conversation to the classification with clicks', async (state) => { state.page = await scenarioConversation(); }],
  ['2. reload keeps the conversation', async (state) => scenarioReload(state.page)],
  ['4. typed HTML shown as text', async (state) => scenarioInjection(state.page)],
  ['6. erase the conversation', async (state) => { await scenarioClear(state.page); await state.page.context().close(); }],
  ['3. keyboard only', async () => scenarioKeyboard()],
  ['5. 360-px phone and 200 % zoom', async () => scenarioSmallScreens()],
  ['7. accessibility rules (axe-core)', async () => scenarioAccessibility()],
  ['8. server unreachable, connection lost, forged token', async () => scenarioOffline()],
  ['9. help at hand, messages in view, long paste (phone 390×844)', async () => scenarioHelp('phone')],
  ['10. help at hand, messages in view, long paste (desktop)', async () => scenarioHelp('desktop')],
  ['11. links: bare domains, the booking with its calendar link (phone)', async () => scenarioLinks('phone')],
  ['12. links: bare domains, the booking with its calendar link (desktop)', async () => scenarioLinks('desktop')],
  ['13. accessibility of the emergency line and the long-message notice (axe-core, phone)', async () => scenarioHelpAxe()],
  ['14. typed « / » text and typed erasure', async () => scenarioTypedErasure()],
];

// WIDGET_SCENARIOS=9,10 runs only those (while working on the widget); the test runs them all.
const only = (process.env.WIDGET_SCENARIOS || '').split(',').filter(Boolean);
const chosen = only.length ? scenarios.filter(([name]) => only.includes(name.split('.')[0])) : scenarios;
const state = {};
let failed = false;
for (const [name, run] of chosen) {
  log(`— ${name}`);
  try {
    await run(state);
    check(problems.length === 0, problems.join('\n'));
  } catch (error) {
    failed = true;
    console.error(`FAIL ${name}: ${error instanceof Failure ? error.message : error.stack || error}`);
    if (current && !current.isClosed()) {
      const file = path.join(artefacts, `failure-${name.split('.')[0]}.png`);
      await current.screenshot({ path: file }).catch(() => {});
      console.error(`  screenshot: ${file}`);
    }
    break;
  }
}
await browser.close();
if (failed) process.exit(1);
console.log(`Widget browser test: ${chosen.length} passed, 0 failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
