import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The API serves the built console at /console/ (app/console.py); `npm run dev` proxies the API.
export default defineConfig({
  base: '/console/',
  plugins: [
    vue(),
    // Element Plus components imported where a template uses them, so each screen's chunk carries only its own.
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false }),
  ],
  build: { target: 'es2022', chunkSizeWarningLimit: 600 },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8000', '/auth': 'http://127.0.0.1:8000' },
  },
})
