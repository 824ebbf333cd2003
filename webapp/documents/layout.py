"""What every CEP document shares: French formatting, cp1252-safe text and the A4 page layout."""
import io
import unicodedata
from datetime import date
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ..money import euros

NBSP = "\u00a0"
ENCODING = "windows-1252"
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
NOT_GIVEN = "Non renseigné"

# Characters Helvetica cannot print in windows-1252, with what a reader would write instead.
_REPLACEMENTS = {
    "\u202f": NBSP, "\u2007": NBSP, "\u2009": " ", "\u200a": " ", "\u2002": " ", "\u2003": " ",
    "\u200b": "", "\u200d": "", "\ufe0f": "", "\ufeff": "", "\u00ad": "",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2015": "—", "\u2212": "-",
    "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u2248": "~", "\u2192": "->",
    "\u2190": "<-", "\u21d2": "=>", "\u2194": "<->", "\u2713": "v", "\u2714": "v",
    "\u2717": "x", "\u2718": "x", "\u25cf": "•", "\u25aa": "•", "\u25e6": "•", "\u2023": "•",
    "\u2043": "-", "\u2022": "•", "\u2032": "'", "\u2033": '"', "\u2116": "n°",
    "\u2153": "1/3", "\u2154": "2/3", "\t": "    ", "\r\n": "\n", "\r": "\n",
}


def pdf_text(value) -> str:
    """Text that Helvetica can print in windows-1252: close equivalents for other characters."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    for char, replacement in _REPLACEMENTS.items():
        text = text.replace(char, replacement)
    return "".join(_printable(char) for char in text)


def _printable(char: str) -> str:
    if char == "\n":
        return char
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return ""
    try:
        char.encode(ENCODING)
        return char
    except UnicodeEncodeError:
        pass
    # Decomposition keeps the letter of an accent cp1252 lacks (ā -> a, ŝ -> s, ﬁ -> fi).
    folded = unicodedata.normalize("NFKD", char).encode(ENCODING, "ignore").decode(ENCODING)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    if folded:
        return folded
    if unicodedata.category(char) == "So":  # emoji and other symbols carry no text
        return ""
    return "?"


def format_euros(amount: Decimal) -> str:
    """« 8 400,00 € »: French grouping with no-break spaces, cents rounded half up."""
    return euros(amount)


def format_date(day: date | None) -> str:
    """« 1er mars 2025 », « 12 mars 2025 »."""
    if day is None:
        return NOT_GIVEN
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


def format_hours(hours) -> str:
    """« 400 h », « 35,5 h »."""
    if hours is None:
        return NOT_GIVEN
    value = Decimal(hours).normalize()
    text = f"{value:f}".replace(".", ",")
    return f"{text}{NBSP}h"


def given(value) -> str:
    """The value, or « Non renseigné » when it is missing or blank."""
    text = "" if value is None else str(value).strip()
    return text or NOT_GIVEN


class DocumentPDF(FPDF):
    """A4 portrait page with a running header after page 1 and « Page n / N » in the footer."""

    LINE = 5.5
    LABEL_WIDTH = 52

    def __init__(self, title: str, structure_name: str, subject: str = ""):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.core_fonts_encoding = ENCODING
        self.document_title = pdf_text(title)
        self.structure_name = pdf_text(structure_name)
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_title(title)
        self.set_author(structure_name or "")
        self.set_subject(subject or title)
        from ..queries.identity import current_identity, logo_file  # the regional identity, defaults outside an app
        self.identity = current_identity()
        self.logo = logo_file(self.identity)
        self.set_creator(self.identity.name)
        self.set_lang("fr")
        self.alias_nb_pages("{nb}")
        self.add_page()

    def header(self):
        self.brand_band()
        if self.page_no() == 1:
            return
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        text = f"{self.structure_name} — {self.document_title}"
        while len(text) > 10 and self.get_string_width(text) > self.epw:
            text = text[:-2].rstrip() + "…"
        self.cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_text_color(0, 0, 0)
        self.ln(4)

    def brand_band(self):
        """The service's logo and name in the top margin of every page (the regional identity)."""
        if self.logo is not None:
            try:
                self.image(io.BytesIO(self.logo[0]), x=self.l_margin, y=7, h=9)
            except Exception:  # a logo fpdf cannot draw leaves the name alone, never a failed document
                pass
        self.set_xy(self.l_margin, 9)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, pdf_text(self.identity.name), align="R")
        self.set_text_color(0, 0, 0)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self):
        self.set_y(-14)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"Page {self.page_no()} / {{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    def letterhead(self, name, address, phone, email, right_lines=()):
        """The structure's block on the left of page 1, dates or names on the right."""
        top = self.get_y()
        self.set_font("Helvetica", "B", 12)
        self.multi_cell(100, 6, pdf_text(given(name)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "", 9)
        for line in (address, f"Tél. : {given(phone)}", f"Courriel : {given(email)}"):
            self.multi_cell(100, 4.5, pdf_text(given(line)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        left_bottom = self.get_y()
        self.set_y(top)
        for line in right_lines:
            self.set_x(self.w - self.r_margin - 70)
            self.multi_cell(70, 4.5, pdf_text(line), align="R", new_x=XPos.LMARGIN,
                            new_y=YPos.NEXT)
        self.set_y(max(left_bottom, self.get_y()) + 6)

    def title_block(self, text: str):
        self.set_font("Helvetica", "B", 15)
        self.multi_cell(0, 7.5, pdf_text(text), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(5)

    def heading(self, text: str):
        """A numbered-free section title kept with at least a few lines of its content."""
        if self.will_page_break(30):
            self.add_page()
        self.ln(3)
        self.set_font("Helvetica", "B", 12)
        self.set_text_color(20, 60, 120)
        self.multi_cell(0, 7, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(20, 60, 120)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_draw_color(0, 0, 0)
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def subheading(self, text: str):
        if self.will_page_break(15):
            self.add_page()
        self.set_font("Helvetica", "B", 10)
        self.multi_cell(0, self.LINE, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def paragraph(self, text, empty: str = NOT_GIVEN):
        self.set_font("Helvetica", "", 10)
        self.multi_cell(0, self.LINE, pdf_text(given(text) if text else empty),
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def field(self, label: str, value):
        """« Label : value » on two columns, the value wrapping in its own column."""
        if self.will_page_break(self.LINE):
            self.add_page()
        self.set_font("Helvetica", "B", 10)
        self.cell(self.LABEL_WIDTH, self.LINE, pdf_text(label))
        self.set_font("Helvetica", "", 10)
        self.multi_cell(0, self.LINE, pdf_text(given(value)), new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)

    def item_list(self, items, numbered: bool):
        """A numbered (action plan) or bulleted list with hanging indents."""
        self.set_font("Helvetica", "", 10)
        for index, item in enumerate(items, start=1):
            if self.will_page_break(self.LINE):
                self.add_page()
            self.cell(8, self.LINE, f"{index}." if numbered else "•", align="R")
            self.set_x(self.l_margin + 10)
            self.multi_cell(0, self.LINE, pdf_text(given(item)), new_x=XPos.LMARGIN,
                            new_y=YPos.NEXT)
            self.ln(1)

    def finish(self) -> bytes:
        return bytes(self.output())
