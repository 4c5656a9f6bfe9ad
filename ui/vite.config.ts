import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The UI is served to the Tauri window from the built files (custom protocol), never
// from a dev server in the shipped app.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // Everything inline-free: the CSP forbids inline scripts.
    assetsInlineLimit: 0,
    // The emoji data (about 570 kB) is a chunk of its own, loaded only when
    // the reaction picker first opens; the page itself stays far below this.
    chunkSizeWarningLimit: 600,
  },
  test: {
    include: ['src/**/*.test.ts'],
  },
});
