"""benchreport.py: medians over runs and the results table (Markdown).

Results are kept as results[column][metric] = [value per run]; a metric a
run could not measure is simply missing from that run.
"""

import statistics

# (metric key, row label, format); the order is the table's.  Rows in
# NO_RATIO get no ratio columns: their quotient means nothing.
ROWS = [
    ("sess c=1", "sessions/s, 1 client", "{:.0f}"),
    ("sess c=16", "sessions/s, 16 clients", "{:.0f}"),
    ("sess c=64", "sessions/s, 64 clients", "{:.0f}"),
    ("sess c=256", "sessions/s, 256 clients", "{:.0f}"),
    ("p50 c=1", "time-to-reply p50 us, 1 client", "{:.0f}"),
    ("p99 c=1", "time-to-reply p99 us, 1 client", "{:.0f}"),
    ("p50 c=16", "time-to-reply p50 us, 16 clients", "{:.0f}"),
    ("p99 c=16", "time-to-reply p99 us, 16 clients", "{:.0f}"),
    ("p50 c=64", "time-to-reply p50 us, 64 clients", "{:.0f}"),
    ("p99 c=64", "time-to-reply p99 us, 64 clients", "{:.0f}"),
    ("p50 c=256", "time-to-reply p50 us, 256 clients", "{:.0f}"),
    ("p99 c=256", "time-to-reply p99 us, 256 clients", "{:.0f}"),
    ("lone p50", "time-to-reply p50 us, one session at a time",
     "{:.0f}"),
    ("burst p50", "burst {burst} clients time-to-reply p50 us", "{:.0f}"),
    ("burst p99", "burst p99 us", "{:.0f}"),
    ("burst ratio", "burst p99 / idle p50", "{:.1f}"),
    ("lone ratio", "burst p99 / lone p50", "{:.1f}"),
    ("burst warm p99", "burst p99 us, warm-up burst (not counted)",
     "{:.0f}"),
    ("burst live", "burst sessions held at once", "{:.0f}"),
    ("burst fails", "burst failed sessions, counted bursts, all runs",
     "{:.0f}"),
    ("pw sess c=16", "password sessions/s, 16 clients", "{:.0f}"),
    ("pw p50 c=16", "password time-to-reply p50 us", "{:.0f}"),
    ("pw p99 c=16", "password time-to-reply p99 us", "{:.0f}"),
    ("up 1", "GB/s client->target, 1 stream", "{:.3f}"),
    ("up 8", "GB/s client->target, 8 streams", "{:.3f}"),
    ("down 1", "GB/s target->client, 1 stream", "{:.3f}"),
    ("down 8", "GB/s target->client, 8 streams", "{:.3f}"),
    ("mem 1000", "KiB PSS per idle session, 1,000 open", "{:.1f}"),
    ("mem 5000", "KiB PSS per idle session, 5,000 open", "{:.1f}"),
    ("mem 10000", "KiB PSS per idle session, 10,000 open", "{:.1f}"),
    ("held", "idle sessions held (of {top:,})", "{:.0f}"),
    ("cpu/GB", "proxy CPU s per GB relayed", "{:.3f}"),
    ("cpu/1k", "proxy CPU s per 1,000 sessions", "{:.3f}"),
    ("proxy cpu%", "proxy CPU %, busiest scenario", "{:.0f}"),
    ("lg cpu%", "load generator CPU %, busiest scenario", "{:.0f}"),
    ("errors", "failed sessions or streams, all runs", "{:.0f}"),
]

NO_RATIO = {"errors", "proxy cpu%", "lg cpu%", "burst ratio", "lone ratio",
            "burst live", "held", "burst fails"}

# Rows that show the sum over the runs, not the median.
SUMMED = {"errors", "burst fails"}

# Rows computed from two others of the same column: key: (a, b), a / b.
DERIVED = {"burst ratio": ("burst p99", "p50 c=1"),
           "lone ratio": ("burst p99", "lone p50")}

RATIOS = [("sockd", "dante"), ("sockd", "microsocks"), ("sockd", "floor"),
          ("sockd", "direct")]


def record(results, column, metric, value):
    results.setdefault(column, {}).setdefault(metric, []).append(value)


def median(results, column, metric):
    if metric in DERIVED:
        a, b = (median(results, column, m) for m in DERIVED[metric])
        return None if a is None or not b else a / b
    values = results.get(column, {}).get(metric)
    if not values:
        return None
    if metric in SUMMED:
        return sum(values)
    return statistics.median(values)


def _cell(fmt, value):
    return "-" if value is None else fmt.format(value)


def _ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def table(results, columns, labels=None):
    """The Markdown table: one column per measured proxy, then ratios.
    labels fills the {names} in the row labels."""
    ratios = [(a, b) for a, b in RATIOS if a in columns and b in columns]
    head = ["metric (median)"] + columns + [f"{a}/{b}" for a, b in ratios]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for key, label, fmt in ROWS:
        vals = {c: median(results, c, key) for c in columns}
        if all(v is None for v in vals.values()):
            continue
        cells = [_cell(fmt, vals[c]) for c in columns]
        cells += [_ratio(vals[a], vals[b]) if key not in NO_RATIO else "-"
                  for a, b in ratios]
        label = label.format(**(labels or {}))
        lines.append("| " + " | ".join([label] + cells) + " |")
    return "\n".join(lines)
