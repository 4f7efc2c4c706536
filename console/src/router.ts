// Screens by path; each screen is its own chunk, so the seat's first load carries only the seat.
// Citizen pages (/console/citizen/…) need no sign-in; every other screen needs a session.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useSession } from './stores/session'
import { homeFor } from './menu'

const routes: RouteRecordRaw[] = [
  {
    path: '/citizen',
    component: () => import('./layouts/CitizenLayout.vue'),
    meta: { public: true },
    children: [
      { path: '', name: 'citizen-submit', component: () => import('./views/citizen/SubmitView.vue'), meta: { public: true, title: '我要反映' } },
      { path: 'progress', name: 'citizen-progress', component: () => import('./views/citizen/ProgressView.vue'), meta: { public: true, title: '进度查询' } },
    ],
  },
  {
    path: '/',
    component: () => import('./layouts/ConsoleLayout.vue'),
    children: [
      { path: '', name: 'home', component: () => import('./views/HomeView.vue') },
      { path: 'seat', name: 'seat', component: () => import('./views/SeatView.vue'), meta: { title: '话务受理' } },
      { path: 'dispatch', name: 'dispatch', component: () => import('./views/DispatchView.vue'), meta: { title: '派单' } },
      { path: 'inbox/:tab?', name: 'inbox', component: () => import('./views/InboxView.vue'), meta: { title: '承办' } },
      { path: 'review', name: 'review', component: () => import('./views/ReviewView.vue'), meta: { title: '审核' } },
      { path: 'revisit', name: 'revisit', component: () => import('./views/RevisitView.vue'), meta: { title: '回访' } },
      { path: 'orders', name: 'orders', component: () => import('./views/OrdersView.vue'), meta: { title: '工单查询' } },
      { path: 'orders/:number', name: 'order', component: () => import('./views/OrderView.vue'), meta: { title: '工单详情' } },
      { path: 'routing', name: 'routing', component: () => import('./views/RoutingRulesView.vue'), meta: { title: '派单目录' } },
      { path: 'admin/people', name: 'admin-people', component: () => import('./views/admin/PeopleView.vue'), meta: { title: '人员管理' } },
      { path: 'admin/units', name: 'admin-units', component: () => import('./views/admin/UnitsView.vue'), meta: { title: '承办单位' } },
    ],
  },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory('/console/'), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  const me = await useSession().load()
  if (!me) return false
  if (to.name === 'home') return { path: homeFor(new Set(me.roles)) }
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title as string} · 12345 热线` : '12345 政务服务便民热线'
})
