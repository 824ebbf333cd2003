"""The regional identity's rules: defaults, colours (hex, WCAG contrast) and the logo's checks.

Pure functions: nothing here reads the database (queries/identity.py does, operations/identity.py writes).
"""
import hashlib
import io
import re
from dataclasses import dataclass, replace

DEFAULT_NAME = "SPRO Centre-Val de Loire"
DEFAULT_SHORT_NAME = "SPRO"
DEFAULT_PRIMARY = "#1d4f91"  # spro.css --blue: the header, buttons, links and badges
DEFAULT_ACCENT = "#ffd84d"  # spro.css --accent: focus ring and current-page mark on the header
DEFAULT_HEADER_TEXT = "#ffffff"  # spro.css --header-text: the header's text and links
LIGHT_TINT = "#e3ebf7"  # the pale background of badges and counters that carry the primary colour as text
TEXT_MINIMUM = 4.5  # WCAG 1.4.3, normal text
MARK_MINIMUM = 3.0  # WCAG 1.4.11, focus ring and other marks that are not text

LOGO_MAX_BYTES = 256 * 1024
LOGO_MAX_WIDTH, LOGO_MAX_HEIGHT = 1200, 600
LOGO_MIN_SIDE = 16
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
_HEX = re.compile(r"#[0-9a-f]{6}")


@dataclass(frozen=True)
class Identity:
    """What the screens, e-mails and documents show (never the logo's bytes)."""
    name: str = DEFAULT_NAME
    short_name: str = DEFAULT_SHORT_NAME
    primary: str = DEFAULT_PRIMARY
    accent: str = DEFAULT_ACCENT
    header_text: str = DEFAULT_HEADER_TEXT
    logo_type: str | None = None
    logo_sha256: str | None = None
    logo_width: int | None = None
    logo_height: int | None = None
    version: int = 0

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_sha256 and self.logo_type in LOGO_TYPES.values())

    @property
    def tagline(self) -> str:
        """The name after the short name (« Centre-Val de Loire »), or the whole name if it does not start so."""
        if self.name == self.short_name:
            return ""
        if self.name.startswith(self.short_name + " "):
            return self.name[len(self.short_name):].strip()
        return self.name

    @property
    def default_colours(self) -> bool:
        return (self.primary, self.accent, self.header_text) == (DEFAULT_PRIMARY, DEFAULT_ACCENT, DEFAULT_HEADER_TEXT)

    @property
    def theme_token(self) -> str:
        """Changes whenever the colours do: the stylesheet's address carries it."""
        return hashlib.sha256(f"{self.primary}{self.accent}{self.header_text}".encode()).hexdigest()[:12]

    def logo_size(self, height: int = 32) -> tuple[int, int]:
        """(width, height) of the logo drawn `height` pixels high, its proportions kept."""
        if not self.logo_width or not self.logo_height:
            return height, height
        return max(1, round(self.logo_width * height / self.logo_height)), height


DEFAULTS = Identity()


def theme_css(identity: Identity) -> str:
    """The stylesheet that overrides spro.css's colour variables."""
    return (f":root {{ --blue: {identity.primary}; --accent: {identity.accent}; "
            f"--header-text: {identity.header_text}; }}\n")


# --- colours ----------------------------------------------------------------------------------

def parse_colour(value) -> str | None:
    """« #1D4F91 », « 1d4f91 », « #abc » -> « #1d4f91 »-style lowercase hex; None if not a colour."""
    text = (value or "").strip().lower() if isinstance(value, str) else ""
    if text and not text.startswith("#"):
        text = "#" + text
    if re.fullmatch(r"#[0-9a-f]{3}", text):
        text = "#" + "".join(c * 2 for c in text[1:])
    return text if _HEX.fullmatch(text) else None


def _luminance(colour: str) -> float:
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i:i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two hex colours, from 1 to 21."""
    a, b = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def format_ratio(ratio: float) -> str:
    """« 4,49:1 »: two decimals, rounded down so that a refused ratio never reads as the minimum."""
    whole = int(ratio * 100) / 100
    return f"{whole:.2f}".replace(".", ",") + ":1"


def contrast_pairs(primary: str, accent: str, header_text: str) -> list[tuple[str, str, float, float]]:
    """(field, the pair in French, ratio, minimum) for every pair of colours the screens use together."""
    return [
        ("header_text", "le texte de l'en-tête sur la couleur principale", contrast_ratio(header_text, primary),
         TEXT_MINIMUM),
        ("primary", "la couleur principale en texte sur fond blanc (boutons, liens) et le texte blanc des boutons "
         "principaux", contrast_ratio(primary, "#ffffff"), TEXT_MINIMUM),
        ("primary", "la couleur principale en texte sur les pastilles bleu pâle (compteurs, états)",
         contrast_ratio(primary, LIGHT_TINT), TEXT_MINIMUM),
        ("accent", "la couleur d'accent (contour de focus, page en cours) sur la couleur principale",
         contrast_ratio(accent, primary), MARK_MINIMUM),
    ]


def format_minimum(minimum: float) -> str:
    return f"{minimum:g}".replace(".", ",") + ":1"


def colour_errors(primary: str, accent: str, header_text: str) -> dict[str, str]:
    """A French message per field whose colour is too close to one it is used with (the first such pair)."""
    errors: dict[str, str] = {}
    for field, pair, ratio, minimum in contrast_pairs(primary, accent, header_text):
        if ratio < minimum and field not in errors:
            errors[field] = (f"Contraste insuffisant : {format_ratio(ratio)} pour {pair} ; "
                             f"il faut au moins {format_minimum(minimum)}.")
    return errors


def safe(identity: Identity) -> Identity:
    """The identity with any broken value replaced by its default (colours failing contrast all together)."""
    name = identity.name.strip() if isinstance(identity.name, str) and identity.name.strip() else DEFAULT_NAME
    short = identity.short_name.strip() if isinstance(identity.short_name, str) and identity.short_name.strip() \
        else DEFAULT_SHORT_NAME
    colours = [parse_colour(c) for c in (identity.primary, identity.accent, identity.header_text)]
    if None in colours or colour_errors(*colours):
        colours = [DEFAULT_PRIMARY, DEFAULT_ACCENT, DEFAULT_HEADER_TEXT]
    logo = identity.logo_type in LOGO_TYPES.values() and bool(identity.logo_sha256)
    return replace(identity, name=name[:120], short_name=short[:40], primary=colours[0], accent=colours[1],
                   header_text=colours[2], logo_type=identity.logo_type if logo else None,
                   logo_sha256=identity.logo_sha256 if logo else None)


# --- the logo ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckedLogo:
    data: bytes
    content_type: str
    width: int
    height: int
    sha256: str


class LogoRefused(ValueError):
    """The upload is not an acceptable logo; the message says why, in French."""


def _kilobytes(size: int) -> str:
    return f"{(size + 1023) // 1024} Ko"


def check_logo(data: bytes, filename: str = "") -> CheckedLogo:
    """The logo if its content is a sound PNG or JPEG within the limits; LogoRefused otherwise."""
    if len(data) > LOGO_MAX_BYTES:
        raise LogoRefused(f"Le logo pèse {_kilobytes(len(data))} : {_kilobytes(LOGO_MAX_BYTES)} au plus.")
    head = data[:512].lstrip().lower()
    if (filename or "").lower().endswith((".svg", ".svgz")) or head.startswith((b"<svg", b"<?xml")) \
            or b"<svg" in head:
        raise LogoRefused("Le format SVG n'est pas accepté (il peut contenir des scripts) : "
                          "enregistrez le logo en PNG ou en JPEG.")
    if data.startswith(PNG_MAGIC):
        expected = "PNG"
    elif data.startswith(JPEG_MAGIC):
        expected = "JPEG"
    else:
        raise LogoRefused("Ce fichier n'est pas une image PNG ou JPEG (son contenu a été vérifié, "
                          "pas seulement son nom).")
    from PIL import Image
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height, kind = image.width, image.height, image.format
            if kind == expected and width <= LOGO_MAX_WIDTH and height <= LOGO_MAX_HEIGHT:
                image.load()  # the whole picture decodes: not a truncated or disguised file
    except Exception:  # Pillow raises many kinds for a damaged file: all mean the same here
        raise LogoRefused("Cette image est endommagée ou illisible : enregistrez-la de nouveau en PNG "
                          "ou en JPEG.") from None
    if kind != expected:
        raise LogoRefused("Ce fichier n'est pas une image PNG ou JPEG (son contenu a été vérifié, "
                          "pas seulement son nom).")
    if width > LOGO_MAX_WIDTH or height > LOGO_MAX_HEIGHT:
        raise LogoRefused(f"Le logo mesure {width} × {height} pixels : {LOGO_MAX_WIDTH} × {LOGO_MAX_HEIGHT} "
                          "pixels au plus.")
    if min(width, height) < LOGO_MIN_SIDE:
        raise LogoRefused(f"Le logo mesure {width} × {height} pixels : au moins {LOGO_MIN_SIDE} pixels "
                          "de côté pour rester lisible.")
    return CheckedLogo(data, LOGO_TYPES[kind], width, height, hashlib.sha256(data).hexdigest())
