"""French messages for the errors JSON Schema finds in a submitted form."""

_TYPE_MESSAGES = {
    "integer": "Saisissez un nombre entier.", "boolean": "Répondez par oui ou non.",
    "string": "Saisissez un texte.", "array": "Choisissez dans la liste.", "object": "Valeur invalide.",
}


def message(error) -> str:
    """The French message of a JSON Schema validation error, as people read it on a field."""
    v, value = error.validator, error.validator_value
    if v == "required":
        return "Ce champ est obligatoire."
    if v == "type":
        return _TYPE_MESSAGES.get(value if isinstance(value, str) else "object", "Valeur invalide.")
    if v == "enum":
        return "Choisissez une valeur proposée."
    if v == "const":
        return "Ce point doit être confirmé."
    if v == "minItems":
        return f"Choisissez au moins {value} élément{'s' if value > 1 else ''}."
    if v == "maxItems":
        return f"Choisissez au plus {value} éléments."
    if v == "maxLength":
        return f"{value} caractères au maximum."
    if v == "minLength":
        return "Ce champ est obligatoire." if value == 1 else f"{value} caractères au minimum."
    if v == "minimum":
        return f"La valeur doit être au moins {value}."
    if v == "maximum":
        return f"La valeur doit être au plus {value}."
    if v == "format" and value == "date":
        return "Date invalide : saisissez-la au format jj/mm/aaaa."
    if v == "pattern":
        return "Format invalide."
    return "Valeur invalide."
