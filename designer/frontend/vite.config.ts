import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

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
  test: {
    include: ['src/**/*.test.ts'],
  },
})
