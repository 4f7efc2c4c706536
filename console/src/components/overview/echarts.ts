// Apache ECharts as the overview uses it: the core with the line chart, its grid, tooltip and legend,
// drawn as SVG (sharp on a 4K wall) — imported per use, so the overview's chunk carries nothing else.
import * as echarts from 'echarts/core'
import { LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { SVGRenderer } from 'echarts/renderers'

echarts.use([LineChart, GridComponent, TooltipComponent, LegendComponent, SVGRenderer])

export { echarts }
export type { ECharts } from 'echarts/core'
