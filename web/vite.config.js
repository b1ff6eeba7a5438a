// Builds the dashboard into the query service's embed folder; `make web`
// runs this (never `make build`), and the output is committed so a plain
// `go build` also serves a working page.
import { defineConfig } from 'vite'

export default defineConfig({
  base: '/',
  build: {
    outDir: '../services/query/internal/web/dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2020',
  },
})
