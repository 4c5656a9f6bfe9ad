import { flushSync, mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { applyTheme, storedTheme } from './lib/theme';

applyTheme(storedTheme());

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');
const app = mount(App, { target });
// Run the App's onMount now rather than after the browser has drawn the empty
// shell: the first screen's calls then go out at once, and the inbox is drawn
// once, with its chats.
flushSync();
export default app;
