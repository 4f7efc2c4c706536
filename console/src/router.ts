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
      { path: ':pathMatch(.*)*', name: 'citizen-not-found', component: () => import('./views/NotFoundView.vue'), meta: { public: true, title: '页面不存在' } },
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
      { path: 'ranking', name: 'ranking', component: () => import('./views/RankingView.vue'), meta: { title: '考核排名' } },
      { path: 'hotspots', name: 'hotspots', component: () => import('./views/HotspotsView.vue'), meta: { title: '热点' } },
      { path: 'statistics', name: 'statistics', component: () => import('./views/StatisticsView.vue'), meta: { title: '统计分析' } },
      // The drilled place is the path: tenant codes below the person's own, then units/<id> (OverviewView).
      { path: 'overview/:trail*', name: 'overview', component: () => import('./views/OverviewView.vue'), meta: { title: '总览' } },
      { path: 'supervise', name: 'supervise', component: () => import('./views/SuperviseView.vue'), meta: { title: '督办台' } },
      // 管理: the settings of the admin's subtree, each with its history (views/admin, components/admin).
      { path: 'routing', redirect: (to) => ({ path: '/admin/routing', query: to.query }) },
      { path: 'admin/routing', name: 'admin-routing', component: () => import('./views/admin/RoutingView.vue'), meta: { title: '派单目录' } },
      { path: 'admin/categories', name: 'admin-categories', component: () => import('./views/admin/CategoriesView.vue'), meta: { title: '诉求分类' } },
      { path: 'admin/time-limits', name: 'admin-time-limits', component: () => import('./views/admin/TimeLimitsView.vue'), meta: { title: '办理时限' } },
      { path: 'admin/calendar', name: 'admin-calendar', component: () => import('./views/admin/CalendarView.vue'), meta: { title: '节假日安排' } },
      { path: 'admin/overdue-policy', name: 'admin-overdue-policy', component: () => import('./views/admin/OverduePolicyView.vue'), meta: { title: '超期策略' } },
      { path: 'admin/intake-policy', name: 'admin-intake-policy', component: () => import('./views/admin/IntakePolicyView.vue'), meta: { title: '受理策略' } },
      { path: 'admin/assessment', name: 'admin-assessment', component: () => import('./views/admin/AssessmentSettingsView.vue'), meta: { title: '考核设置' } },
      { path: 'admin/people', name: 'admin-people', component: () => import('./views/admin/PeopleView.vue'), meta: { title: '人员管理' } },
      { path: 'admin/units', name: 'admin-units', component: () => import('./views/admin/UnitsView.vue'), meta: { title: '承办单位' } },
      // Any other address: 页面不存在, at that address (after signing in, which keeps it: client.ts signIn).
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: '页面不存在' } },
    ],
  },
  // The wall screen (大屏): full screen, without the console's frame.
  { path: '/wall/:code(\\d+)?', name: 'wall', component: () => import('./views/WallView.vue'), meta: { title: '大屏' } },
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
