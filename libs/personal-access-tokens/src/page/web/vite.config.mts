import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The page is built once with a placeholder base; the Nest module swaps in the path it is mounted
// at when it loads the files. Output goes beside the compiled module in dist/ (npm run build);
// tests pass --outDir to build into a scratch folder.
export default defineConfig({
  root: import.meta.dirname,
  base: '/__PAT_PAGE_BASE__/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: resolve(import.meta.dirname, '../../../../../dist/libs/personal-access-tokens/src/page/public'),
    emptyOutDir: true,
    // No inline script anywhere: the CSP allows only files from the page's own origin.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
