// The mediator's space in a real headless Chromium (Debian's, driven by playwright-core).
//
//   node tests/browser/space.mjs <agenda base URL> <artefacts dir> <link file> <email> <reference>
//
// Run by tests/e2e/test_agenda_space_browser.py, which serves the agenda on loopback, reads the
// sign-in link from the outbox once this script has asked for it, and writes it to <link file>.
// Scenarios: sign-in by link, the list and one booking (brief and contact), editing the hours,
// the calendar page; axe-core's WCAG 2.1 A/AA rules on every page; no script error, no CSP
// refusal. The first failure prints a clear message, saves a screenshot and exits 1.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'widget', 'package.json'));
const { chromium } = require('playwright-core');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const [base, artefacts = 'reports/browser', linkFile, email, reference] = process.argv.slice(2);
if (!base || !linkFile || !email || !reference) {
  console.error('usage: node tests/browser/space.mjs <base URL> <artefacts dir> <link file> <email> <reference>');
  process.exit(2);
}
fs.mkdirSync(artefacts, { recursive: true });

class Failure extends Error {}
function check(condition, message) {
  if (!condition) throw new Failure(message);
}
const started = Date.now();
const log = (message) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${message}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const problems = [];
// axe-core is injected as a script, which the space's CSP forbids: bypassed in this context only.
const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 800 }, bypassCSP: true });
const page = await context.newPage();
page.on('pageerror', (error) => problems.push(`JavaScript error: ${error.message}`));
page.on('console', (message) => {
  if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
});

async function shot(name) {
  await page.screenshot({ path: path.join(artefacts, name), fullPage: true });
}

async function axe(where) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const report = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return report.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  });
  check(result.length === 0, `${where}: accessibility (axe-core) violations:\n  ${result.join('\n  ')}`);
  log(`axe-core: no WCAG 2.1 AA violation (${where})`);
}

async function heading() {
  return (await page.locator('h1').innerText()).trim();
}

async function waitForLink() {
  for (let i = 0; i < 300; i += 1) {
    if (fs.existsSync(linkFile)) return fs.readFileSync(linkFile, 'utf8').trim();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Failure('no sign-in link arrived in the outbox within 30 s');
}

try {
  // 1. Sign-in form, neutral answer.
  await page.goto(`${base}/espace/rendez-vous`);
  check((await heading()) === "Connexion à l'espace médiateur", `signed out: expected the sign-in page, got « ${await heading()} »`);
  check((await page.getAttribute('html', 'lang')) === 'fr', 'the page must declare lang="fr"');
  await axe('sign-in form');
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByRole('button', { name: 'Recevoir un lien de connexion' }).click();
  check((await heading()) === 'Vérifiez votre messagerie', 'after asking for a link: expected the neutral answer');
  await axe('link sent');
  log('sign-in link requested');

  // 2. The link from the outbox: a confirmation button, then the appointments.
  const link = await waitForLink();
  check(link.startsWith(base), `the link ${link} should point to ${base}`);
  await page.goto(link);
  await axe('sign-in link page');
  await page.getByRole('button', { name: 'Me connecter' }).click();
  check((await heading()) === 'Mes rendez-vous', `after the link: expected « Mes rendez-vous », got « ${await heading()} »`);
  check(await page.getByRole('link', { name: new RegExp(reference) }).isVisible(), `the booking ${reference} is not listed`);
  await axe('appointments');
  await shot('space-appointments.png');
  log('signed in by link; the booking is listed');

  // 3. One booking: brief and contact.
  await page.getByRole('link', { name: new RegExp(reference) }).click();
  check((await heading()).includes(reference), 'the booking page should name its reference');
  const text = await page.locator('main').innerText();
  check(text.includes('conflit familial') && text.includes('marie@exemple.fr'), 'the brief and the contact should be shown');
  check(await page.getByRole('button', { name: 'Annuler le rendez-vous' }).isVisible(), 'an upcoming booking can be cancelled');
  await axe('one booking');
  await shot('space-booking.png');
  log('booking viewed with its brief and contact');

  // 4. Hours: add Thursday 14:00–16:00 by phone.
  await page.getByRole('link', { name: 'Mes disponibilités' }).click();
  check((await heading()) === 'Mes disponibilités', 'expected the hours page');
  await axe('hours (empty)');
  await page.getByLabel('Jour', { exact: true }).selectOption('3');
  await page.getByLabel('De', { exact: true }).fill('14:00');
  await page.getByLabel('à', { exact: true }).fill('16:00');
  await page.getByRole('group', { name: 'Modalités proposées sur ces horaires' }).getByLabel('téléphone').check();
  await page.getByRole('button', { name: 'Ajouter ces horaires' }).click();
  check(await page.getByRole('status').filter({ hasText: 'Vos horaires sont enregistrés' }).isVisible(), 'no confirmation after adding hours');
  const rows = await page.locator('table').first().innerText();
  check(rows.includes('jeudi') && rows.includes('14:00') && rows.includes('16:00'), `the new hours are not listed: ${rows}`);
  check(/Créneaux libres proposés actuellement : [1-9]/.test(await page.locator('main').innerText()), 'no slot generated');
  await axe('hours (with a rule)');
  await shot('space-hours.png');
  log('hours edited; slots generated');

  // 5. Calendar: create the subscription URL.
  await page.getByRole('link', { name: 'Mon agenda' }).click();
  await page.getByRole('button', { name: "Créer mon adresse d'abonnement" }).click();
  const feed = await page.getByLabel('Adresse d\'abonnement (webcal)').inputValue();
  check(feed.startsWith('webcal://') && feed.endsWith('.ics'), `unexpected subscription URL ${feed}`);
  await axe('calendar with its subscription URL');
  await shot('space-calendar.png');
  log('subscription URL created');

  // 6. A phone-sized screen: nothing wider than the viewport.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(`${base}/espace/rendez-vous/${reference}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `at 360 px the booking page scrolls sideways by ${overflow} px`);
  await axe('one booking at 360 px');

  check(problems.length === 0, `problems in the pages:\n  ${problems.join('\n  ')}`);
  log('all space scenarios passed');
  await browser.close();
} catch (error) {
  console.error(error instanceof Failure ? `FAILED: ${error.message}` : error);
  try { await shot('space-failure.png'); } catch { /* closed */ }
  await browser.close();
  process.exit(1);
}
