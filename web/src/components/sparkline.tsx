/** A small time-series chart in plain SVG: one line, an area under it, min/max labels. */
export function Sparkline({
  values,
  max,
  label,
  format = (n) => n.toFixed(2),
  height = 64,
}: {
  values: number[];
  /** Fixed top of the scale (e.g. 100 for percentages); otherwise the data's own maximum. */
  max?: number;
  label: string;
  format?: (n: number) => string;
  height?: number;
}) {
  const width = 240;
  const top = Math.max(max ?? 0, ...values, 1e-9);
  const n = values.length;
  const x = (i: number) => (n <= 1 ? width : (i / (n - 1)) * width);
  const y = (v: number) => height - (v / top) * (height - 4) - 2;
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const last = values[n - 1];
  return (
    <figure className="m-0">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        className="h-16 w-full text-indigo-500"
        role="img"
        aria-label={`${label}: ${last === undefined ? 'no data yet' : `latest ${format(last)}`}, ${n} samples`}
      >
        <line
          x1="0"
          x2={width}
          y1={height - 1}
          y2={height - 1}
          className="stroke-zinc-200 dark:stroke-zinc-800"
          strokeWidth="1"
        />
        {n > 1 ? (
          <>
            <polygon points={`0,${height} ${points} ${width},${height}`} fill="currentColor" opacity="0.12" />
            <polyline
              points={points}
              fill="none"
              stroke="currentColor"
              strokeWidth="1.5"
              vectorEffect="non-scaling-stroke"
            />
          </>
        ) : last !== undefined ? (
          // One sample so far: a flat line at its value rather than an empty chart.
          <line
            x1="0"
            x2={width}
            y1={y(last)}
            y2={y(last)}
            stroke="currentColor"
            strokeWidth="1.5"
            strokeDasharray="4 3"
            vectorEffect="non-scaling-stroke"
          />
        ) : null}
      </svg>
      <figcaption className="mt-1 flex justify-between text-xs text-zinc-500 dark:text-zinc-400 tabular-nums">
        <span>{label}</span>
        <span>
          {last === undefined ? '—' : format(last)}
          {max === undefined && n > 0 ? ` · peak ${format(Math.max(...values))}` : ''}
        </span>
      </figcaption>
    </figure>
  );
}
