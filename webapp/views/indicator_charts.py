"""Horizontal bar charts as inline SVG written here (no script, no library): a hidden count has no bar,
only the word « masqué », so a chart never shows more than its table."""
from markupsafe import Markup, escape

from ..queries.disclosure import HIDDEN

ROW, LABEL, BAR, GAP = 26, 210, 300, 8


def bars(title: str, items: list, chart_id: str) -> Markup:
    """[(label, count or HIDDEN)] as an accessible SVG (role img, its title and a text description)."""
    largest = max([v for _l, v in items if v is not HIDDEN] + [1])
    height = ROW * len(items) + GAP
    width = LABEL + BAR + 70
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
             f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">',
             f'<title id="{chart_id}-t">{escape(title)}</title>',
             f'<desc id="{chart_id}-d">{escape("; ".join(f"{l} : {_text(v)}" for l, v in items))}</desc>']
    for i, (label, value) in enumerate(items):
        y = GAP + i * ROW
        short = label if len(label) <= 34 else label[:32] + "…"
        parts.append(f'<text x="{LABEL - 6}" y="{y + 13}" text-anchor="end" font-size="12" fill="#1d1d1b">'
                     f'{escape(short)}</text>')
        if value is HIDDEN:
            parts.append(f'<text x="{LABEL + 4}" y="{y + 13}" font-size="12" font-style="italic" fill="#4a4a4a">'
                         'masqué</text>')
            continue
        length = round(BAR * value / largest, 1)
        parts.append(f'<rect x="{LABEL}" y="{y}" width="{length}" height="{ROW - GAP}" fill="#1f4e8c"/>')
        parts.append(f'<text x="{LABEL + length + 5}" y="{y + 13}" font-size="12" fill="#1d1d1b">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _text(value) -> str:
    return "masqué" if value is HIDDEN else str(value)


def bar_chart(title: str, table, chart_id: str) -> Markup:
    """One bar per row of `table`: its total, or its only cell."""
    items = [(label, total if table.totals is not None else cells[0]) for label, cells, total in table.rows]
    return bars(title, items, chart_id)


def column_chart(title: str, table, chart_id: str) -> Markup:
    """One bar per column of `table`: the column totals (the outcomes of all referrals)."""
    return bars(title, list(zip(table.columns, table.totals or [])), chart_id)
