import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = new URL('.', import.meta.url).pathname;

// The API is a separate process (`infrakt serve`); the dev server only proxies /api to it.
const apiTarget = process.env.INFRAKT_API_URL ?? 'http://127.0.0.1:8000';

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react(), tailwindcss()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // web/bundle-size.mjs reads the manifest to measure what a first visit downloads.
    manifest: true,
    // Our budget is measured on gzipped output; keep the warning at a level that flags regressions.
    chunkSizeWarningLimit: 400,
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env.PORT ?? 5173),
    proxy: {
      // SSE streams pass through unbuffered; http-proxy does not buffer by default.
      '/api': { target: apiTarget, changeOrigin: false, ws: true },
    },
  },
});
