import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// In Development the ASP.NET server proxies page requests here; API and hub calls go back to it.
const backend = 'http://127.0.0.1:5080';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2019', sourcemap: false },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': backend,
      '/hubs': { target: backend, ws: true },
      '/healthz': backend,
    },
  },
});
