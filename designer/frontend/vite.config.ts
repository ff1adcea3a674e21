import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const django = process.env.DJANGO ?? 'http://127.0.0.1:8000'
// dev server only: Django's CSRF check compares Origin with its own address
const toDjango = {
  target: django,
  changeOrigin: true,
  configure: (proxy: { on(event: 'proxyReq', cb: (req: { setHeader(k: string, v: string): void }) => void): void }) =>
    proxy.on('proxyReq', (req) => req.setHeader('origin', django)),
}

// Built into the Django static folder; Django reads manifest.json to find the hashed files.
export default defineConfig({
  plugins: [react()],
  base: '/static/designer/',
  build: {
    outDir: '../../static/designer',
    emptyOutDir: true,
    manifest: 'manifest.json',
    rollupOptions: { input: 'src/main.tsx' },
  },
  server: {
    proxy: { '/api': toDjango, '/login': toDjango, '/designer': toDjango },
  },
  test: {
    include: ['src/**/*.test.ts'],
  },
})
