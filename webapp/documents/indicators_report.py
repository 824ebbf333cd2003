"""The indicators as a CSV file (one figure per line) and as a PDF report (fpdf2, A4)."""
import csv
import io

from fpdf.enums import XPos, YPos

from ..queries.disclosure import HIDDEN
from ..reference import DEPARTEMENTS, NETWORKS
from .layout import DocumentPDF, format_date, pdf_text

MASKED = "masqué"


def count_text(value) -> str:
    return MASKED if value is HIDDEN else str(value)


def days_text(value) -> str:
    return MASKED if value is None else f"{value:.1f}".replace(".", ",")


def scope_text(figures) -> str:
    names = {d["code"]: d["name"] for d in DEPARTEMENTS}
    f = figures.filters
    where = f"{names.get(f.departement, f.departement)} ({f.departement})" if f.departement else "Région Centre-Val de Loire"
    if f.network:
        where += f", réseau {dict(NETWORKS).get(f.network, f.network)}"
    return where


def tables_of(figures) -> list:
    tables = [figures.receptions, figures.by_departement, figures.referrals, figures.reasons, figures.seen]
    return tables + list(figures.satisfaction)


def indicators_csv(figures) -> str:
    """« tableau;ligne;colonne;valeur », hidden counts written « masqué »."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    f = figures.filters
    writer.writerow(["tableau", "ligne", "colonne", "valeur"])
    writer.writerow(["Périmètre", scope_text(figures), "du", f.start.isoformat()])
    writer.writerow(["Périmètre", scope_text(figures), "au", f.end.isoformat()])
    writer.writerow(["Périmètre", "Seuil de diffusion", "effectif minimal", figures.threshold])
    for table in tables_of(figures):
        for label, cells, total in table.rows:
            for column, value in zip(table.columns, cells):
                writer.writerow([table.title, label, column, count_text(value)])
            if total is not None or table.totals is not None:
                writer.writerow([table.title, label, "Total", count_text(total)])
        for column, value in zip(table.columns, table.totals or []):
            writer.writerow([table.title, "Total", column, count_text(value)])
        writer.writerow([table.title, "Total", "Total", count_text(table.grand_total)])
    for label, share in figures.seen_shares:
        writer.writerow(["Part des accueils par nombre de structures sollicitées", label, "%",
                         MASKED if share is None else f"{share:.0f}"])
    for label, median, count in figures.delays:
        writer.writerow(["Délais des orientations", label, "médiane (jours)", days_text(median)])
        writer.writerow(["Délais des orientations", label, "orientations mesurées", count_text(count)])
    return out.getvalue()


class IndicatorsPDF(DocumentPDF):
    """DocumentPDF on landscape pages: the tables have up to eleven columns."""

    def add_page(self, *args, **kwargs):
        if not args and not kwargs.get("same"):
            kwargs.setdefault("orientation", "L")
        super().add_page(*args, **kwargs)

    def grid_table(self, table):
        """The table in small type; the label column wraps, counts right-aligned."""
        self.heading(table.title)
        columns = [*table.columns, "Total"] if table.totals is not None else list(table.columns)
        label_width = 62 if len(columns) > 3 else 120
        width = (self.epw - label_width) / max(1, len(columns))
        line = 4.2

        def row(label, values, bold=False, fill=False):
            self.set_font("Helvetica", "B" if bold else "", 7)
            height = line * max(1, len(self.multi_cell(label_width, line, pdf_text(label), dry_run=True,
                                                      output="LINES")))
            for text in values:
                height = max(height, line * len(self.multi_cell(width, line, pdf_text(text), dry_run=True,
                                                                output="LINES")))
            if self.will_page_break(height):
                self.add_page()
            top, left = self.get_y(), self.l_margin
            self.set_fill_color(230, 236, 245)
            self.multi_cell(label_width, line, pdf_text(label), border=1, fill=fill, max_line_height=line,
                            new_x=XPos.RIGHT, new_y=YPos.TOP)
            for i, text in enumerate(values):
                self.set_xy(left + label_width + i * width, top)
                self.multi_cell(width, line, pdf_text(text), border=1, align="R", fill=fill,
                                new_x=XPos.RIGHT, new_y=YPos.TOP)
            self.set_xy(left, top + height)

        row(table.row_heading, columns, bold=True, fill=True)
        for label, cells, total in table.rows:
            row(label, [count_text(v) for v in cells] + ([count_text(total)] if table.totals is not None else []))
        totals = [count_text(v) for v in table.totals] + [count_text(table.grand_total)] \
            if table.totals is not None else [count_text(table.grand_total)]
        row("Total", totals, bold=True)
        self.ln(2)


def indicators_pdf(figures) -> bytes:
    f = figures.filters
    title = "Indicateurs du SPRO Centre-Val de Loire"
    pdf = IndicatorsPDF(title, "Région Centre-Val de Loire", "Indicateurs partagés du réseau")
    pdf.title_block(title)
    pdf.field("Périmètre", scope_text(figures))
    pdf.field("Période", f"du {format_date(f.start)} au {format_date(f.end)}")
    pdf.paragraph(f"Les effectifs inférieurs à {figures.threshold} sont masqués, ainsi que d'autres cases choisies "
                  "pour qu'aucun effectif masqué ne puisse être recalculé à partir des totaux.")
    for table in tables_of(figures):
        pdf.grid_table(table)
    pdf.heading("Part des accueils par nombre de structures sollicitées")
    for label, share in figures.seen_shares:
        pdf.field(label, MASKED if share is None else f"{share:.0f} %")
    pdf.heading("Délais des orientations")
    for label, median, count in figures.delays:
        pdf.field(label, f"{days_text(median)} (sur {count_text(count)} orientations)")
    return pdf.finish()
