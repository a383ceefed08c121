/**
 * A Chart.js chart as a component. The canvas is an image to assistive technology, labelled by `label`;
 * the same numbers are in `children` (a table), which screen readers read and sighted users can open.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
  type ChartType,
  type DefaultDataPoint,
} from "chart.js";
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

ChartJS.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, Legend);
ChartJS.defaults.font.family = getComputedStyle(document.documentElement).fontFamily || "system-ui, sans-serif";
ChartJS.defaults.color = "#3b4252";
// Charts fill their container, whose height the page sets.
ChartJS.defaults.maintainAspectRatio = false;
if (matchMedia("(prefers-reduced-motion: reduce)").matches) ChartJS.defaults.animation = false;

export const PALETTE = {
  focus: "#2f6fdf",
  paused: "#b8c2d3",
  switches: "#c2410c",
  previous: "#94a3b8",
  deep: "#15803d",
} as const;

interface Props<T extends ChartType, D, L> {
  config: ChartConfiguration<T, D, L>;
  label: string;
  /** CSS height of the chart area (the width follows the container). */
  height?: string;
  children?: ComponentChildren;
  caption?: string;
}

export function Chart<T extends ChartType, D = DefaultDataPoint<T>, L = unknown>({ config, label, height = "16rem", children, caption }: Props<T, D, L>) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<ChartJS<T, D, L> | null>(null);

  useEffect(() => {
    if (!canvas.current) return;
    const c = new ChartJS<T, D, L>(canvas.current, config);
    chart.current = c;
    return () => {
      c.destroy();
      chart.current = null;
    };
    // The chart is made once; later configs update it in place (below).
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data = config.data;
    if (config.options) c.options = config.options;
    c.update();
  }, [config]);

  return (
    <figure class="chart">
      {caption && <figcaption>{caption}</figcaption>}
      <div class="chart-area" style={{ height }}>
        <canvas ref={canvas} role="img" aria-label={label} />
      </div>
      {children && (
        <details class="chart-data">
          <summary>Data table</summary>
          {children}
        </details>
      )}
    </figure>
  );
}
