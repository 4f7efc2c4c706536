// Apache ECharts, only the parts the console draws (echarts/core + what each chart needs): maps, bars and lines,
// their tooltips, legends and colour scales, drawn as SVG (crisp at any zoom, and a test can count the areas).
import * as echarts from 'echarts/core'
import { BarChart, LineChart, MapChart } from 'echarts/charts'
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components'
import { SVGRenderer } from 'echarts/renderers'

echarts.use([MapChart, BarChart, LineChart, TooltipComponent, VisualMapComponent, GridComponent, LegendComponent,
  AriaComponent, SVGRenderer])

export { echarts }
export type { EChartsCoreOption } from 'echarts/core'
