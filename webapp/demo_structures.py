"""Demo directory of SPRO partner structures, across the six départements of Centre-Val de Loire.

Every network named in the cahier des charges (§7) is represented, under its current name:
FAFTT is now Akto, FONGECIF Transitions Pro, Pôle emploi France Travail, UNIFAF OPCO Santé.
Structures are plausible, not exact; every phone (02 61 91 …, the ARCEP fiction range) and
e-mail address (.example.org) is fictitious. Commune codes are the real INSEE codes, from
`webapp/data/communes_cvl.csv` (tests check each one); each structure's bassin is its commune's
real bassin d'emploi (`reference.bassin_of`).
"""
from .reference import bassin_of

# INSEE code of each commune where a demo structure sits (data/communes_cvl.csv).
COMMUNE_CODES = {
    "Bourges": "18033", "Saint-Amand-Montrond": "18197", "Vierzon": "18279",
    "Chartres": "28085", "Châteaudun": "28088", "Dreux": "28134",
    "Châteauroux": "36044", "Issoudun": "36088", "Le Blanc": "36018",
    "Amboise": "37003", "Chinon": "37072", "Loches": "37132", "Tours": "37261",
    "Blois": "41018", "Romorantin-Lanthenay": "41194", "Vendôme": "41269",
    "Montargis": "45208", "Orléans": "45234", "Pithiviers": "45252",
    "Saint-Jean-de-Braye": "45284",
}

# Public statuses (SPRO publics) and data·inclusion thématique codes, as used below:
# scolaire, etudiant, apprenti, salarie, actif_non_salarie, demandeur_emploi, benevole, autre.
# choisir-un-metier, se-former, trouver-un-emploi, preparer-sa-candidature, creer-une-entreprise,
# remobilisation, mobilite, numerique, souvrir-a-linternational, famille,
# difficultes-administratives-ou-juridiques.

_HOURS_STD = "Lundi au vendredi : 9h00–12h30 et 13h30–17h30"
_HOURS_ML = "Lundi au vendredi : 8h30–12h30 et 13h30–17h30 ; fermé le jeudi matin"
_HOURS_CIO = ("Lundi au vendredi : 9h00–12h30 et 13h30–17h30 ; "
              "pendant les vacances scolaires : sur rendez-vous")
_HOURS_FT = "Lundi au vendredi : 8h30–12h30 (libre accès) ; après-midi sur rendez-vous"
_HOURS_ANTENNA = "Mardi et jeudi : 9h00–12h30 et 13h30–17h00, sur rendez-vous"
_HOURS_UNIV = "Lundi au vendredi : 9h00–17h00 (fermé en août)"
_HOURS_OPCO = "Lundi au vendredi : 9h00–12h00 et 14h00–17h00, par téléphone"
_HOURS_TP = "Lundi au vendredi : 9h00–12h30 et 13h30–17h00"

_ML_PUBLICS = ["demandeur_emploi", "apprenti", "autre"]
_ML_THEMES = ["choisir-un-metier", "se-former", "trouver-un-emploi", "preparer-sa-candidature",
              "remobilisation", "mobilite", "numerique",
              "difficultes-administratives-ou-juridiques"]
_CIO_PUBLICS = ["scolaire", "etudiant"]
_CIO_THEMES = ["choisir-un-metier", "se-former", "souvrir-a-linternational"]
_FT_PUBLICS = ["demandeur_emploi", "salarie", "actif_non_salarie", "autre"]
_FT_THEMES = ["trouver-un-emploi", "preparer-sa-candidature", "se-former", "choisir-un-metier",
              "creer-une-entreprise", "mobilite", "numerique"]
_IJ_PUBLICS = ["scolaire", "etudiant", "apprenti", "demandeur_emploi", "benevole", "autre"]
_IJ_THEMES = ["choisir-un-metier", "se-former", "trouver-un-emploi", "souvrir-a-linternational",
              "mobilite", "numerique"]
_CMA_PUBLICS = ["scolaire", "apprenti", "salarie", "actif_non_salarie", "demandeur_emploi"]
_CMA_THEMES = ["choisir-un-metier", "se-former", "creer-une-entreprise", "preparer-sa-candidature"]
_ADULT_PUBLICS = ["demandeur_emploi", "salarie", "actif_non_salarie", "benevole", "autre"]
_CIDFF_THEMES = ["famille", "difficultes-administratives-ou-juridiques", "trouver-un-emploi",
                 "creer-une-entreprise", "remobilisation"]
_SUIO_THEMES = ["choisir-un-metier", "se-former", "preparer-sa-candidature",
                "souvrir-a-linternational"]
_TP_THEMES = ["se-former", "choisir-un-metier", "creer-une-entreprise"]
_BRANCH_PUBLICS = ["scolaire", "apprenti", "demandeur_emploi", "salarie"]
_BRANCH_THEMES = ["choisir-un-metier", "se-former", "trouver-un-emploi"]


def _offer(hours, publics, themes, cep=False, convention="regionale") -> dict:
    return {"opening_hours": hours, "publics": list(publics), "themes": list(themes),
            "cep_operator": cep, "convention": convention}


ML = _offer(_HOURS_ML, _ML_PUBLICS, _ML_THEMES, cep=True)
ML_ANTENNA = _offer(_HOURS_ANTENNA, _ML_PUBLICS, _ML_THEMES, cep=True)
CIO = _offer(_HOURS_CIO, _CIO_PUBLICS, _CIO_THEMES, convention="etat")
FT = _offer(_HOURS_FT, _FT_PUBLICS, _FT_THEMES, cep=True)
CMA = _offer(_HOURS_STD, _CMA_PUBLICS, _CMA_THEMES)
SUIO = _offer(_HOURS_UNIV, ["etudiant"], _SUIO_THEMES, convention="etat")
CIDFF = _offer("Lundi au vendredi : 9h00–12h30 ; après-midi sur rendez-vous",
               _ADULT_PUBLICS, _CIDFF_THEMES)
BRANCH = _offer(_HOURS_STD, _BRANCH_PUBLICS, _BRANCH_THEMES)


def _structure(slug, name, network, commune, address, phone, email, offer, parent=None) -> dict:
    """One structure; its commune code comes from the COG, its bassin d'emploi from the reference."""
    code = COMMUNE_CODES[commune]
    return {"slug": slug, "name": name, "network": network, "departement": code[:2],
            "bassin": bassin_of(code), "commune": commune, "commune_code": code,
            "address": address, "phone": phone, "email": email,
            **{key: list(value) if isinstance(value, list) else value
               for key, value in offer.items()},
            "parent": parent}


STRUCTURES = [
    # --- Loiret (45) -------------------------------------------------------------------------
    _structure("ml-orleans", "Mission Locale de l'Orléanais", "mission_locale",
               "Orléans", "12 rue de la Bretonnerie, 45000 Orléans", "02 61 91 45 10",
               "accueil@ml-orleans.example.org", ML),
    _structure("ml-orleans-pithiviers", "Mission Locale de l'Orléanais — antenne de Pithiviers",
               "mission_locale", "Pithiviers",
               "3 place du Martroi, 45300 Pithiviers", "02 61 91 45 11",
               "pithiviers@ml-orleans.example.org", ML_ANTENNA, parent="ml-orleans"),
    _structure("ml-montargis", "Mission Locale de l'arrondissement de Montargis",
               "mission_locale", "Montargis",
               "24 rue du Général-Leclerc, 45200 Montargis", "02 61 91 45 12",
               "accueil@ml-montargis.example.org", ML),
    _structure("cio-orleans", "CIO d'Orléans", "cio", "Orléans",
               "55 rue Notre-Dame-de-Recouvrance, 45000 Orléans", "02 61 91 45 20",
               "cio-orleans@ac-orleans-tours.example.org", CIO),
    _structure("ft-orleans", "France Travail Orléans Madeleine", "france_travail",
               "Orléans", "8 rue des Charretiers, 45000 Orléans",
               "02 61 91 45 30", "orleans-madeleine@francetravail.example.org", FT),
    _structure("apec-orleans", "APEC Centre-Val de Loire — centre d'Orléans", "apec",
               "Orléans", "2 avenue de Paris, 45000 Orléans", "02 61 91 45 40",
               "centre-val-de-loire@apec.example.org",
               _offer("Lundi au vendredi : 9h00–18h00, sur rendez-vous",
                      ["salarie", "demandeur_emploi", "etudiant"],
                      ["trouver-un-emploi", "preparer-sa-candidature", "choisir-un-metier",
                       "se-former", "creer-une-entreprise", "souvrir-a-linternational"],
                      cep=True)),
    _structure("crij-orleans", "CRIJ Centre-Val de Loire", "info_jeunesse",
               "Orléans", "3-5 boulevard de Verdun, 45000 Orléans", "02 61 91 45 50",
               "info@crij-cvl.example.org",
               _offer("Lundi au vendredi : 10h00–18h00 ; samedi : 10h00–13h00",
                      ["scolaire", "etudiant", "apprenti", "demandeur_emploi", "salarie",
                       "benevole", "autre"],
                      _IJ_THEMES + ["difficultes-administratives-ou-juridiques"])),
    _structure("transitions-pro-cvl", "Transitions Pro Centre-Val de Loire", "transitions_pro",
               "Orléans", "10 rue Saint-Étienne, 45000 Orléans",
               "02 61 91 45 60", "contact@transitionspro-cvl.example.org",
               _offer(_HOURS_TP, ["salarie"], _TP_THEMES, cep=True)),
    _structure("suio-orleans", "SUIO-IP — Université d'Orléans", "suio",
               "Orléans", "Château de la Source, avenue du Parc Floral, 45100 Orléans",
               "02 61 91 45 70", "suio@univ-orleans.example.org", SUIO),
    _structure("apecita-cvl", "APECITA Centre-Val de Loire", "apecita",
               "Orléans", "13 avenue des Droits-de-l'Homme, 45000 Orléans", "02 61 91 45 80",
               "centre-val-de-loire@apecita.example.org",
               _offer("Lundi au vendredi : 9h00–12h30 et 14h00–17h30, sur rendez-vous",
                      ["salarie", "demandeur_emploi", "etudiant", "actif_non_salarie"],
                      ["trouver-un-emploi", "preparer-sa-candidature", "choisir-un-metier",
                       "se-former"])),
    _structure("akto-cvl", "Akto (ex-FAFTT) — délégation Centre-Val de Loire", "opco",
               "Orléans", "45 rue du Faubourg-Bannier, 45000 Orléans",
               "02 61 91 45 81", "centre-val-de-loire@akto.example.org",
               _offer(_HOURS_OPCO, ["salarie", "apprenti", "demandeur_emploi"],
                      ["se-former", "trouver-un-emploi"])),
    _structure("cidff-loiret", "CIDFF du Loiret", "cidff", "Orléans",
               "14 rue du Colombier, 45000 Orléans", "02 61 91 45 82",
               "contact@cidff45.example.org", CIDFF),
    _structure("cci-loiret", "CCI Loiret — Point A", "cci", "Orléans",
               "23 place du Martroi, 45000 Orléans", "02 61 91 45 83",
               "point-a@cci45.example.org",
               _offer(_HOURS_STD, ["scolaire", "etudiant", "apprenti", "demandeur_emploi"],
                      ["choisir-un-metier", "se-former", "preparer-sa-candidature"])),
    _structure("uimm-cvl", "UIMM Centre-Val de Loire — promotion des métiers de l'industrie",
               "branche_pro", "Saint-Jean-de-Braye",
               "6 rue Jean-Zay, 45800 Saint-Jean-de-Braye", "02 61 91 45 84",
               "metiers@uimm-cvl.example.org", BRANCH),
    _structure("region-cvl", "Région Centre-Val de Loire — Direction de l'orientation",
               "region", "Orléans", "9 rue Saint-Pierre-Lentin, 45000 Orléans",
               "02 61 91 45 00", "spro@centrevaldeloire.example.org",
               _offer("Lundi au vendredi : 8h30–17h30 (pas d'accueil du public)", [], [])),
    # --- Indre-et-Loire (37) -----------------------------------------------------------------
    _structure("ml-touraine", "Mission Locale de Touraine", "mission_locale",
               "Tours", "28 rue Édouard-Vaillant, 37000 Tours", "02 61 91 37 10",
               "accueil@ml-touraine.example.org", ML),
    _structure("ml-touraine-chinon", "Mission Locale de Touraine — antenne de Chinon",
               "mission_locale", "Chinon", "14 rue Rabelais, 37500 Chinon",
               "02 61 91 37 11", "chinon@ml-touraine.example.org", ML_ANTENNA,
               parent="ml-touraine"),
    _structure("ml-touraine-loches", "Mission Locale de Touraine — antenne de Loches",
               "mission_locale", "Loches", "9 rue de Tours, 37600 Loches",
               "02 61 91 37 12", "loches@ml-touraine.example.org", ML_ANTENNA,
               parent="ml-touraine"),
    _structure("ml-touraine-amboise", "Mission Locale de Touraine — antenne d'Amboise",
               "mission_locale", "Amboise",
               "2 rue Grégoire-de-Tours, 37400 Amboise", "02 61 91 37 13",
               "amboise@ml-touraine.example.org", ML_ANTENNA, parent="ml-touraine"),
    _structure("cap-emploi-37", "Cap emploi Indre-et-Loire", "cap_emploi", "Tours",
               "40 rue James-Watt, 37200 Tours", "02 61 91 37 20",
               "contact@capemploi37.example.org",
               _offer(_HOURS_STD, ["demandeur_emploi", "salarie", "actif_non_salarie"],
                      ["trouver-un-emploi", "preparer-sa-candidature", "se-former",
                       "choisir-un-metier", "difficultes-administratives-ou-juridiques"],
                      cep=True)),
    _structure("transitions-pro-tours", "Transitions Pro Centre-Val de Loire — antenne de Tours",
               "transitions_pro", "Tours", "6 place Jean-Jaurès, 37000 Tours",
               "02 61 91 37 30", "tours@transitionspro-cvl.example.org",
               _offer("Mardi au jeudi : 9h00–12h30 et 13h30–17h00, sur rendez-vous",
                      ["salarie"], _TP_THEMES, cep=True),
               parent="transitions-pro-cvl"),
    _structure("apec-tours", "APEC Centre-Val de Loire — centre de Tours", "apec",
               "Tours", "30 rue de la Préfecture, 37000 Tours", "02 61 91 37 40",
               "tours@apec.example.org",
               _offer("Lundi au vendredi : 9h00–18h00, sur rendez-vous",
                      ["salarie", "demandeur_emploi", "etudiant"],
                      ["trouver-un-emploi", "preparer-sa-candidature", "choisir-un-metier",
                       "se-former", "creer-une-entreprise"],
                      cep=True),
               parent="apec-orleans"),
    _structure("suio-tours", "SUIO-IP — Université de Tours", "suio", "Tours",
               "60 rue du Plat-d'Étain, 37000 Tours", "02 61 91 37 40",
               "suio@univ-tours.example.org", SUIO),
    _structure("opco-uniformation-cvl", "Uniformation — délégation Centre-Val de Loire",
               "opco", "Tours", "19 rue de Bordeaux, 37000 Tours",
               "02 61 91 37 50", "centre-val-de-loire@uniformation.example.org",
               _offer(_HOURS_OPCO, ["salarie", "apprenti"], ["se-former"])),
    _structure("afdas-cvl", "AFDAS — délégation Centre-Val de Loire", "opco",
               "Tours", "11 rue de la Victoire, 37000 Tours", "02 61 91 37 51",
               "centre-val-de-loire@afdas.example.org",
               _offer(_HOURS_OPCO, ["salarie", "actif_non_salarie", "apprenti"],
                      ["se-former", "choisir-un-metier"])),
    _structure("opco-sante-cvl", "OPCO Santé (ex-UNIFAF) — délégation Centre-Val de Loire",
               "opco", "Tours", "32 boulevard Heurteloup, 37000 Tours",
               "02 61 91 37 52", "centre-val-de-loire@opco-sante.example.org",
               _offer(_HOURS_OPCO, ["salarie", "apprenti", "demandeur_emploi"],
                      ["se-former", "choisir-un-metier"])),
    _structure("cio-tours", "CIO de Tours", "cio", "Tours",
               "3 rue Albert-Thomas, 37000 Tours", "02 61 91 37 60",
               "cio-tours@ac-orleans-tours.example.org", CIO),
    _structure("cij-touraine", "Centre Information Jeunesse de Touraine", "info_jeunesse",
               "Tours", "78 rue Michelet, 37000 Tours", "02 61 91 37 70",
               "info@cij-touraine.example.org",
               _offer("Mardi au samedi : 13h00–18h00 ; mercredi : 10h00–18h00",
                      _IJ_PUBLICS, _IJ_THEMES)),
    _structure("ft-tours", "France Travail Tours Deux-Lions", "france_travail",
               "Tours", "5 rue Joseph-Cugnot, 37200 Tours", "02 61 91 37 80",
               "tours-deux-lions@francetravail.example.org", FT),
    _structure("ffb-touraine", "Fédération du BTP d'Indre-et-Loire — métiers du bâtiment",
               "branche_pro", "Tours", "7 rue Jehan-Fouquet, 37000 Tours",
               "02 61 91 37 90", "metiers@btp37.example.org", BRANCH),
    # --- Cher (18) ---------------------------------------------------------------------------
    _structure("cio-bourges", "CIO de Bourges", "cio", "Bourges",
               "7 rue Bourbonnoux, 18000 Bourges", "02 61 91 18 10",
               "cio-bourges@ac-orleans-tours.example.org", CIO),
    _structure("bij-bourges", "Bureau Information Jeunesse du Cher", "info_jeunesse",
               "Bourges", "22 rue Moyenne, 18000 Bourges", "02 61 91 18 20",
               "bij18@info-jeunesse.example.org",
               _offer("Mardi au vendredi : 13h00–18h00 ; mercredi et samedi : 10h00–12h00",
                      _IJ_PUBLICS, _IJ_THEMES)),
    _structure("cma-cher", "Chambre de métiers et de l'artisanat du Cher", "chambre_metiers",
               "Vierzon", "5 avenue de la République, 18100 Vierzon",
               "02 61 91 18 30", "orientation@cma-cher.example.org", CMA),
    _structure("ml-bourges", "Mission Locale de Bourges, Mehun-sur-Yèvre et Saint-Amand",
               "mission_locale", "Bourges", "4 rue de Séraucourt, 18000 Bourges",
               "02 61 91 18 40", "accueil@ml-bourges.example.org", ML),
    _structure("ml-bourges-saint-amand",
               "Mission Locale de Bourges — antenne de Saint-Amand-Montrond", "mission_locale",
               "Saint-Amand-Montrond",
               "12 rue Henri-Barbusse, 18200 Saint-Amand-Montrond", "02 61 91 18 41",
               "saint-amand@ml-bourges.example.org", ML_ANTENNA, parent="ml-bourges"),
    _structure("ml-vierzon", "Mission Locale de Vierzon", "mission_locale",
               "Vierzon", "18 rue de la Société-Française, 18100 Vierzon", "02 61 91 18 50",
               "accueil@ml-vierzon.example.org", ML),
    _structure("ft-bourges", "France Travail Bourges", "france_travail",
               "Bourges", "15 rue Louis-Mallet, 18000 Bourges", "02 61 91 18 60",
               "bourges@francetravail.example.org", FT),
    _structure("cap-emploi-18", "Cap emploi Cher", "cap_emploi", "Bourges",
               "6 rue Jean-Baffier, 18000 Bourges", "02 61 91 18 70",
               "contact@capemploi18.example.org",
               _offer(_HOURS_STD, ["demandeur_emploi", "salarie", "actif_non_salarie"],
                      ["trouver-un-emploi", "preparer-sa-candidature", "se-former",
                       "choisir-un-metier"], cep=True)),
    # --- Eure-et-Loir (28) -------------------------------------------------------------------
    _structure("cio-chartres", "CIO de Chartres", "cio", "Chartres",
               "15 rue du Grand-Faubourg, 28000 Chartres", "02 61 91 28 10",
               "cio-chartres@ac-orleans-tours.example.org", CIO),
    _structure("ft-dreux", "France Travail Dreux", "france_travail", "Dreux",
               "4 rue des Livraindières, 28100 Dreux", "02 61 91 28 20",
               "dreux@francetravail.example.org", FT),
    _structure("cci-eure-et-loir", "CCI Eure-et-Loir — Point A", "cci",
               "Chartres", "5 bis avenue Marcel-Proust, 28000 Chartres", "02 61 91 28 30",
               "point-a@cci28.example.org",
               _offer(_HOURS_STD,
                      ["scolaire", "etudiant", "apprenti", "demandeur_emploi",
                       "actif_non_salarie"],
                      ["choisir-un-metier", "se-former", "preparer-sa-candidature",
                       "creer-une-entreprise"])),
    _structure("mde-dunois", "Maison de l'emploi et des entreprises du Dunois", "maison_emploi",
               "Châteaudun", "1 rue de la Madeleine, 28200 Châteaudun",
               "02 61 91 28 40", "accueil@mde-dunois.example.org",
               _offer(_HOURS_STD, _ADULT_PUBLICS,
                      ["trouver-un-emploi", "preparer-sa-candidature", "creer-une-entreprise",
                       "mobilite", "numerique", "remobilisation"])),
    _structure("ml-chartres", "Mission Locale de l'arrondissement de Chartres",
               "mission_locale", "Chartres", "8 rue Saint-Michel, 28000 Chartres",
               "02 61 91 28 50", "accueil@ml-chartres.example.org", ML),
    _structure("ml-dreux", "Mission Locale de Dreux", "mission_locale", "Dreux",
               "9 rue Saint-Martin, 28100 Dreux", "02 61 91 28 60",
               "accueil@ml-dreux.example.org", ML),
    _structure("pij-dreux", "Point Information Jeunesse de Dreux", "info_jeunesse",
               "Dreux", "2 place Métezeau, 28100 Dreux", "02 61 91 28 61",
               "pij@dreux-jeunesse.example.org", _offer(_HOURS_STD, _IJ_PUBLICS, _IJ_THEMES)),
    _structure("ft-chartres", "France Travail Chartres", "france_travail",
               "Chartres", "2 rue Charles-Brune, 28000 Chartres", "02 61 91 28 70",
               "chartres@francetravail.example.org", FT),
    # --- Indre (36) --------------------------------------------------------------------------
    _structure("ml-chateauroux", "Mission Locale de Châteauroux et de l'Indre", "mission_locale",
               "Châteauroux", "9 rue Grande, 36000 Châteauroux",
               "02 61 91 36 10", "accueil@ml-indre.example.org", ML),
    _structure("ml-chateauroux-le-blanc", "Mission Locale de l'Indre — antenne du Blanc",
               "mission_locale", "Le Blanc",
               "5 avenue Gambetta, 36300 Le Blanc", "02 61 91 36 11",
               "le-blanc@ml-indre.example.org", ML_ANTENNA, parent="ml-chateauroux"),
    _structure("cidff-indre", "CIDFF de l'Indre", "cidff", "Châteauroux",
               "17 place de la République, 36000 Châteauroux", "02 61 91 36 20",
               "contact@cidff36.example.org", CIDFF),
    _structure("cio-chateauroux", "CIO de Châteauroux", "cio", "Châteauroux",
               "2 rue Bertrand, 36000 Châteauroux", "02 61 91 36 30",
               "cio-chateauroux@ac-orleans-tours.example.org", CIO),
    _structure("pij-issoudun", "Point Information Jeunesse d'Issoudun", "info_jeunesse",
               "Issoudun", "1 place du Marché, 36100 Issoudun",
               "02 61 91 36 40", "pij@issoudun-jeunesse.example.org",
               _offer(_HOURS_ANTENNA, _IJ_PUBLICS, _IJ_THEMES)),
    _structure("ft-chateauroux", "France Travail Châteauroux", "france_travail",
               "Châteauroux", "41 avenue de Verdun, 36000 Châteauroux",
               "02 61 91 36 50", "chateauroux@francetravail.example.org", FT),
    _structure("cma-indre", "Chambre de métiers de l'Indre — centre d'aide à la décision",
               "chambre_metiers", "Châteauroux",
               "31 rue Robert-Mallet-Stevens, 36000 Châteauroux", "02 61 91 36 60",
               "cad@cma-indre.example.org", CMA),
    # --- Loir-et-Cher (41) -------------------------------------------------------------------
    _structure("ft-blois", "France Travail Blois", "france_travail", "Blois",
               "30 avenue du Maréchal-Maunoury, 41000 Blois", "02 61 91 41 10",
               "blois@francetravail.example.org", FT),
    _structure("ca-loir-et-cher", "Chambre d'agriculture de Loir-et-Cher",
               "chambre_agriculture", "Vendôme",
               "12 faubourg Chartrain, 41100 Vendôme", "02 61 91 41 20",
               "installation@ca41.example.org",
               _offer(_HOURS_STD, ["actif_non_salarie", "salarie", "demandeur_emploi", "apprenti"],
                      ["creer-une-entreprise", "choisir-un-metier", "se-former",
                       "trouver-un-emploi"])),
    _structure("prc-vae-romorantin", "Point relais conseil VAE de Romorantin", "prc_vae",
               "Romorantin-Lanthenay",
               "2 rue de la Tour, 41200 Romorantin-Lanthenay", "02 61 91 41 30",
               "vae@prc-romorantin.example.org",
               _offer("Lundi et mercredi : 9h00–12h30 et 14h00–17h00, sur rendez-vous",
                      ["salarie", "demandeur_emploi", "actif_non_salarie", "benevole"],
                      ["se-former"])),
    _structure("ml-blois", "Mission Locale du Blaisois", "mission_locale", "Blois",
               "7 rue de la Garenne, 41000 Blois", "02 61 91 41 40",
               "accueil@ml-blois.example.org", ML),
    _structure("ml-romorantin", "Mission Locale du Romorantinais", "mission_locale",
               "Romorantin-Lanthenay",
               "10 avenue de Paris, 41200 Romorantin-Lanthenay", "02 61 91 41 50",
               "accueil@ml-romorantin.example.org", ML),
    _structure("ml-vendome", "Mission Locale du Vendômois", "mission_locale",
               "Vendôme", "4 rue Poterie, 41100 Vendôme", "02 61 91 41 60",
               "accueil@ml-vendome.example.org", ML),
    _structure("cio-blois", "CIO de Blois", "cio", "Blois",
               "21 avenue de Vendôme, 41000 Blois", "02 61 91 41 70",
               "cio-blois@ac-orleans-tours.example.org", CIO),
    _structure("bij-blois", "Bureau Information Jeunesse de Loir-et-Cher", "info_jeunesse",
               "Blois", "7 avenue Wilson, 41000 Blois", "02 61 91 41 80",
               "bij41@info-jeunesse.example.org", _offer(_HOURS_STD, _IJ_PUBLICS, _IJ_THEMES)),
    _structure("cma-loir-et-cher",
               "Chambre de métiers de Loir-et-Cher — centre d'aide à la décision",
               "chambre_metiers", "Blois",
               "16 rue de la Vallée-Maillard, 41000 Blois", "02 61 91 41 90",
               "cad@cma-41.example.org", CMA),
]
