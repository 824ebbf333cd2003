"""Uploaded documentation files: only PDF, ODT, DOCX, PNG and JPEG, recognised by their content AND
their extension (both must agree), within the size limit."""
import io
import re
import unicodedata
import zipfile

PDF, ODT, DOCX = "application/pdf", "application/vnd.oasis.opendocument.text", \
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG, JPEG = "image/png", "image/jpeg"
EXTENSIONS = {".pdf": PDF, ".odt": ODT, ".docx": DOCX, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG}
SUFFIX = {PDF: ".pdf", ODT: ".odt", DOCX: ".docx", PNG: ".png", JPEG: ".jpg"}
ALLOWED_WORDS = "PDF, ODT, DOCX, PNG ou JPEG"


def _zip_type(content: bytes) -> str | None:
    """ODT (its first entry `mimetype` names it) or DOCX (a Word document part), else None."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100 and archive.read("mimetype").strip() == ODT.encode():
                    return ODT
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return None
    return None


def sniff(content: bytes) -> str | None:
    """The allowed type the bytes are, whatever the file's name says, or None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return _zip_type(content)
    return None


def _extension(filename: str) -> str:
    match = re.search(r"(\.[A-Za-z0-9]{1,5})$", filename or "")
    return match.group(1).lower() if match else ""


def check_upload(upload, max_bytes: int) -> tuple[tuple | None, str | None]:
    """((content, type, name), None) for an acceptable upload, else (None, French message)."""
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    expected = EXTENSIONS.get(_extension(name))
    if expected is None:
        return None, f"Ce type de fichier n'est pas accepté : déposez un fichier {ALLOWED_WORDS}."
    content = upload.stream.read(max_bytes + 1)
    if len(content) > max_bytes:
        megabytes = max_bytes / (1024 * 1024)
        size = f"{megabytes:.0f} Mo" if megabytes >= 1 else f"{max_bytes // 1024} ko"
        return None, f"Le fichier dépasse la taille maximale de {size}."
    if not content:
        return None, "Le fichier est vide."
    actual = sniff(content)
    if actual is None:
        return None, (f"Le contenu de ce fichier n'est pas un document {ALLOWED_WORDS} "
                      "(son nom ne suffit pas) : déposez le document d'origine.")
    if actual != expected:
        return None, ("Le contenu de ce fichier ne correspond pas à son extension "
                      f"({_extension(name)}) : déposez le document d'origine.")
    return (content, actual, name), None


def safe_name(name: str, content_type: str) -> str:
    """A download name: letters (accents kept), digits, spaces, dots, dashes; the checked suffix."""
    stem = unicodedata.normalize("NFC", name.rsplit(".", 1)[0])
    stem = re.sub(r"[^\w .-]+", "_", stem, flags=re.UNICODE).strip(" ._") or "document"
    return f"{stem[:120]}{SUFFIX[content_type]}"
