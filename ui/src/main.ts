import { flushSync, mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { FIRST_SCREEN_WAIT_MS, loadFirstScreen } from './lib/firstScreen';
import { applyTheme, storedTheme } from './lib/theme';

applyTheme(storedTheme());

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');
// The data first, then the components (see lib/firstScreen.ts).
const firstScreen = loadFirstScreen();
const waited = new Promise((resolve) => setTimeout(resolve, FIRST_SCREEN_WAIT_MS));
void Promise.race([firstScreen, waited]).then(() => {
  mount(App, { target, props: { firstScreen } });
  // Run the App's onMount now, in this task: with the data already here, the
  // inbox is on the page before WebKit draws its first frame.
  flushSync();
});
