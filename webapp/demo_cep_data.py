"""The demo's CEP journeys (see demo_cep.py): people received by the CEP advisers, at every stage.

A step is (working days before today, "hh:mm" UTC, step name, argument), in date order per person.
A plan's start is given in working days from today (negative: already started). Every phone
(02 61 91 …, the ARCEP fiction range) and e-mail address (.example.org) is fictitious; amounts are
text in euros and cents, and each plan adds up exactly to its cost.
"""
import itertools
import unicodedata
from datetime import date

DEMO_CEP_DOMAIN = "beneficiaires-cep.demo-spro.example.org"

RECONVERSION = "choisir-un-metier--confirmer-son-choix-de-metier"
DOSSIER_FORMATION = "se-former--monter-son-dossier-de-formation"
COMPETENCES = "choisir-un-metier--identifier-ses-points-forts-et-ses-competences"

_phones = itertools.count(9101)


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower().replace(" ", "-").replace("'", "")


def _person(prenom, nom, age, public, commune, by, steps, **details) -> dict:
    number = next(_phones)
    identity = {"canal": "sur_place", "anonyme": False, "public": public, "commune": commune,
                "annee_naissance": date.today().year - age, "prenom": prenom, "nom": nom,
                "telephone": f"02 61 91 {number // 100:02d} {number % 100:02d}",
                "email": f"{_ascii(prenom)}.{_ascii(nom)}@{DEMO_CEP_DOMAIN}"}
    details.setdefault("thematiques", [RECONVERSION])
    return {"identity": identity, "by": by, "steps": steps, **details}


def _aide_soignante(organisme: str) -> dict:
    return {"metier_cible": "J1501", "formation_visee": "Diplôme d'État d'aide-soignant",
            "organisme_formation": organisme, "certification": "RNCP35830",
            "certification_intitule": "Diplôme d'État d'aide-soignant",
            "competences_a_acquerir": "Soins d'hygiène et de confort, observation clinique, travail en équipe "
                                      "pluriprofessionnelle.",
            "faisabilite": "Nombreuses offres en EHPAD et au CHU ; immersion de trois jours concluante.",
            "etapes_realisees": ["enquete_metier", "immersion"]}


_PLAN_AS = {"formation_visee": "Diplôme d'État d'aide-soignant", "organisme_formation": "IFAS du CHRU de Tours",
            "certification": "RNCP35830", "duree_heures": 1540, "cout_pedagogique": "8000.00",
            "frais_annexes": "400.00", "solde_cpf": "3200.00", "weeks": 44}

PEOPLE = [
    # --- Sophie Marchand, APEC de Tours ----------------------------------------------------------
    _person("Élodie", "Garnier", 41, "salarie", "Joué-lès-Tours", "sophie.marchand",
            [(3, "09:30", "accueil", None)],
            besoins="Responsable logistique, envisage une reconversion dans les ressources humaines."),
    _person("Romain", "Delaunay", 36, "salarie", "Saint-Cyr-sur-Loire", "sophie.marchand",
            [(30, "10:00", "accueil", None), (30, "10:45", "niveau1", "accompagnement"),
             (22, "14:00", "niveau2", "poursuivre"), (12, "14:00", "niveau2", "poursuivre")],
            besoins="Ingénieur commercial, veut devenir formateur pour adultes.",
            projet={"metier_cible": "K2111", "formation_visee": "Titre professionnel Formateur professionnel d'adultes",
                    "organisme_formation": "AFPA de Tours", "certification": "RNCP37275",
                    "certification_intitule": "Formateur professionnel d'adultes",
                    "competences_a_acquerir": "Ingénierie pédagogique, animation de groupes, évaluation.",
                    "faisabilite": "Besoins réguliers des organismes de formation de Touraine.",
                    "etapes_realisees": ["enquete_metier", "rencontre_professionnels"]}),
    # The story: 8 400 €, CPF 3 200 €, Transitions Pro for the rest, granted in part.
    _person("Amandine", "Leroy", 38, "salarie", "Tours", "sophie.marchand",
            [(58, "09:30", "accueil", None), (58, "10:15", "niveau1", "accompagnement"),
             (52, "14:00", "niveau2", "poursuivre"), (45, "14:00", "niveau2", "validation"),
             (43, "10:00", "valider", "valide"),
             (42, "11:00", "plan", {"financements": {"cpf": "3200.00", "transitions_pro": "5200.00"}, "start": 60}),
             (40, "15:00", "deposer", None), (33, "09:30", "decision", ("cpf", "accorde", None)),
             (6, "16:00", "decision", ("transitions_pro", "partiel", "3700.00"))],
            besoins="Assistante commerciale depuis 12 ans, veut devenir aide-soignante.",
            projet=_aide_soignante("IFAS du CHRU de Tours"), plan=_PLAN_AS),
    _person("Julien", "Caron", 44, "salarie", "Chambray-lès-Tours", "sophie.marchand",
            [(70, "10:00", "accueil", None), (70, "10:45", "niveau1", "validation"),
             (66, "10:00", "valider", "valide"),
             (65, "11:00", "plan", {"financements": {"cpf": "2100.00", "abondement_employeur": "2400.00"},
                                    "start": 12}),
             (64, "09:00", "deposer", None), (55, "10:00", "decision", ("abondement_employeur", "accorde", None)),
             (50, "10:00", "decision", ("cpf", "accorde", None))],
            besoins="Technicien de maintenance, projet mûr de passer la certification de gestion de projet.",
            niveau1={"demande": "Faire financer une certification en gestion de projet, validée avec son employeur."},
            projet={"metier_cible": "M1801"},
            plan={"formation_visee": "Certification Chef de projet informatique", "organisme_formation": "CESI Tours",
                  "certification": "RNCP36141", "duree_heures": 420, "cout_pedagogique": "4500.00",
                  "frais_annexes": "", "solde_cpf": "2100.00", "weeks": 30}),
    _person("Sandrine", "Morel", 47, "salarie", "Amboise", "sophie.marchand",
            [(110, "09:30", "accueil", None), (110, "10:15", "niveau1", "accompagnement"),
             (100, "14:00", "niveau2", "validation"), (97, "10:00", "valider", "valide"),
             (96, "11:00", "plan", {"financements": {"cpf": "1800.00", "abondement_region": "1200.00",
                                                     "personne": "300.00"}, "start": -8}),
             (95, "09:00", "deposer", None), (80, "10:00", "decision", ("cpf", "accorde", None)),
             (72, "10:00", "decision", ("abondement_region", "accorde", None)), (7, "10:00", "entree", "confirmee")],
            besoins="Vendeuse en prêt-à-porter, veut devenir comptable.",
            projet={"metier_cible": "M1203", "formation_visee": "Titre professionnel Gestionnaire comptable et fiscal",
                    "organisme_formation": "GRETA Val de Loire — Amboise", "certification": "RNCP37947",
                    "certification_intitule": "Gestionnaire comptable et fiscal",
                    "competences_a_acquerir": "Comptabilité générale, paie, déclarations fiscales.",
                    "faisabilite": "Cabinets comptables du Val d'Amboise qui recrutent."},
            plan={"formation_visee": "Titre professionnel Gestionnaire comptable et fiscal",
                  "organisme_formation": "GRETA Val de Loire — Amboise", "certification": "RNCP37947",
                  "duree_heures": 840, "cout_pedagogique": "3100.00", "frais_annexes": "200.00",
                  "solde_cpf": "1800.00", "weeks": 36}),
    # Requests sent 25 working days ago: the OPCO has not decided, its reminder fired (late).
    _person("Karine", "Lefort", 45, "salarie", "Tours", "sophie.marchand",
            [(45, "09:30", "accueil", None), (45, "10:15", "niveau1", "accompagnement"),
             (36, "14:00", "niveau2", "validation"), (34, "10:00", "valider", "valide"),
             (33, "11:00", "plan", {"financements": {"cpf": "1900.00", "abondement_opco": "2300.00"}, "start": 35}),
             (25, "09:30", "deposer", None), (19, "11:00", "decision", ("cpf", "accorde", None))],
            besoins="Aide-comptable, veut devenir assistante de direction bilingue.",
            projet={"metier_cible": "M1607", "formation_visee": "BTS Support à l'action managériale",
                    "organisme_formation": "CCI Formation Touraine", "certification": "RNCP38364",
                    "certification_intitule": "BTS Support à l'action managériale",
                    "competences_a_acquerir": "Anglais professionnel, gestion de projets, organisation d'événements.",
                    "faisabilite": "Postes d'assistante de direction ouverts dans les PME de la métropole."},
            plan={"formation_visee": "BTS Support à l'action managériale",
                  "organisme_formation": "CCI Formation Touraine",
                  "certification": "RNCP38364", "duree_heures": 1100, "cout_pedagogique": "4200.00",
                  "frais_annexes": "", "solde_cpf": "1900.00", "weeks": 60}),
    # --- Claire Martin, Mission Locale de l'Orléanais ----------------------------------------------
    _person("Dylan", "Mercier", 21, "demandeur_emploi", "Fleury-les-Aubrais", "claire.martin",
            [(15, "14:00", "accueil", None), (15, "14:40", "niveau1", "accompagnement"),
             (4, "10:00", "niveau2", "validation")],
            besoins="Sans diplôme, veut devenir cuisinier après des extras en restauration.",
            niveau1={"situation_professionnelle": "jeune_sans_emploi",
                     "situation": "Sorti du lycée professionnel sans diplôme, extras en restauration.",
                     "demande": "Se former au métier de cuisinier.", "informations_donnees": ["dispositifs"]},
            projet={"metier_cible": "G1602", "formation_visee": "CAP Cuisine en apprentissage",
                    "organisme_formation": "CFA de la CMA du Loiret", "certification": "RNCP37859",
                    "certification_intitule": "CAP Cuisine",
                    "competences_a_acquerir": "Techniques culinaires de base, hygiène HACCP.",
                    "faisabilite": "Restaurants de la métropole qui cherchent des apprentis.",
                    "etapes_realisees": ["immersion"]}),
    _person("Mélanie", "Brun", 29, "salarie", "Olivet", "claire.martin",
            [(40, "10:00", "accueil", None), (40, "10:45", "niveau1", "accompagnement"),
             (33, "14:00", "niveau2", "validation"), (30, "10:00", "valider", "valide"),
             (29, "10:00", "attestation", None),
             (27, "11:00", "plan", {"financements": {"cpf": "2400.00", "abondement_region": "3100.00",
                                                     "personne": "300.00"}, "start": 40}),
             (5, "09:30", "deposer", None)],
            besoins="Employée de banque, veut démissionner pour devenir éducatrice spécialisée.",
            niveau1={"demission_reconversion": True,
                     "informations_donnees": ["droits_cpf", "demission_reconversion"],
                     "demande": "Démissionner pour se reconvertir, avec l'allocation chômage."},
            projet={"metier_cible": "K1207", "formation_visee": "Moniteur-éducateur",
                    "organisme_formation": "ERTS Olivet", "certification": "RNCP35733",
                    "certification_intitule": "Diplôme d'État de moniteur-éducateur",
                    "competences_a_acquerir": "Accompagnement éducatif, travail en équipe, écrits professionnels.",
                    "faisabilite": "Postes vacants dans les foyers et IME du Loiret.",
                    "etapes_realisees": ["enquete_metier", "immersion", "information_collective"]},
            plan={"formation_visee": "Moniteur-éducateur", "organisme_formation": "ERTS Olivet",
                  "certification": "RNCP35733", "duree_heures": 1400, "cout_pedagogique": "5500.00",
                  "frais_annexes": "300.00", "solde_cpf": "2400.00", "weeks": 90}),
    _person("Anthony", "Roche", 25, "demandeur_emploi", "Orléans", "claire.martin",
            [(48, "10:00", "accueil", None), (48, "10:45", "niveau1", "validation"),
             (46, "10:00", "valider", "valide"),
             (45, "14:00", "plan", {"financements": {"cpf": "900.00", "abondement_ft_aif": "1500.00"}, "start": 20}),
             (25, "09:00", "deposer", None), (18, "10:00", "decision", ("cpf", "accorde", None))],
            besoins="Veut passer le permis C pour devenir chauffeur-livreur.",
            niveau1={"situation_professionnelle": "jeune_sans_emploi", "informations_donnees": ["droits_cpf"],
                     "situation": "Préparateur de commandes en intérim.",
                     "demande": "Financer le permis poids lourd."},
            projet={"metier_cible": "N4105"},
            plan={"formation_visee": "Titre professionnel Conducteur du transport routier de marchandises sur porteur",
                  "organisme_formation": "AFTRAL Orléans", "certification": "RNCP35297", "duree_heures": 420,
                  "cout_pedagogique": "2400.00", "frais_annexes": "", "solde_cpf": "900.00", "weeks": 12}),
    # --- Lucas Moreau, France Travail Orléans: a refusal, then a revised plan --------------------------
    _person("Farid", "Benslimane", 39, "demandeur_emploi", "Saran", "lucas.moreau",
            [(60, "09:00", "accueil", None), (60, "09:45", "niveau1", "accompagnement"),
             (52, "14:00", "niveau2", "validation"), (50, "10:00", "valider", "valide"),
             (49, "11:00", "plan", {"financements": {"cpf": "1600.00", "abondement_ft_aif": "3400.00"}, "start": 45}),
             (48, "09:00", "deposer", None), (40, "10:00", "decision", ("cpf", "accorde", None)),
             (30, "10:00", "decision", ("abondement_ft_aif", "refuse", None)),
             (28, "11:00", "plan", {"financements": {"cpf": "1600.00", "abondement_region": "3400.00"}, "start": 45}),
             (27, "09:00", "deposer", None)],
            besoins="Licencié d'une usine automobile, veut devenir technicien de maintenance.",
            niveau1={"situation_professionnelle": "demandeur_emploi"},
            projet={"metier_cible": "I1304",
                    "formation_visee": "Titre professionnel Technicien de maintenance industrielle",
                    "organisme_formation": "AFPA Orléans", "certification": "RNCP34627",
                    "certification_intitule": "Technicien de maintenance industrielle",
                    "competences_a_acquerir": "Électrotechnique, automatismes, maintenance préventive.",
                    "faisabilite": "Métier en tension dans l'industrie du Loiret."},
            plan={"formation_visee": "Titre professionnel Technicien de maintenance industrielle",
                  "organisme_formation": "AFPA Orléans", "certification": "RNCP34627", "duree_heures": 1200,
                  "cout_pedagogique": "5000.00", "frais_annexes": "", "solde_cpf": "1600.00", "weeks": 40}),
    # --- Antoine Chevalier, Cap emploi 37: the person stops -------------------------------------------
    _person("Patricia", "Vidal", 50, "salarie", "Tours", "antoine.chevalier",
            [(35, "10:00", "accueil", None), (35, "10:45", "niveau1", "accompagnement"),
             (25, "14:00", "niveau2", "arret")],
            besoins="Reconnue travailleuse handicapée, doit quitter la manutention.",
            niveau1={"situation": "Agente de manutention, restrictions médicales depuis un an."},
            projet={"metier_cible": "M1607", "notes": "Piste du secrétariat médical explorée.",
                    "motif_arret": "Reprise d'un poste aménagé chez son employeur ; "
                                   "elle ne souhaite pas se former."}),
    # --- Nadia Haddad, Transitions Pro: a mature project straight to validation ------------------------
    _person("Olivier", "Guérin", 43, "salarie", "Orléans", "nadia.haddad",
            [(26, "10:00", "accueil", None), (26, "10:45", "niveau1", "validation"),
             (24, "10:00", "valider", "valide"),
             (23, "11:00", "plan", {"financements": {"cpf": "1500.00", "transitions_pro": "9000.00"}, "start": 50}),
             (22, "09:00", "deposer", None), (8, "10:00", "decision", ("transitions_pro", "accorde", None))],
            besoins="Commercial, projet de transition professionnelle vers le métier d'infirmier.",
            niveau1={"informations_donnees": ["ptp", "droits_cpf"],
                     "demande": "Monter son projet de transition professionnelle."},
            projet={"metier_cible": "J1502"},
            plan={"formation_visee": "Diplôme d'État d'infirmier (passerelle)",
                  "organisme_formation": "IFSI d'Orléans",
                  "certification": "RNCP8940", "duree_heures": 2100, "cout_pedagogique": "10000.00",
                  "frais_annexes": "500.00", "solde_cpf": "1500.00", "weeks": 100}),
    # --- the new advisers: France Travail Bourges (18), Mission Locale de Chartres (28) -------------------
    _person("Céline", "Aubry", 34, "demandeur_emploi", "Bourges", "julie.lemaire",
            [(14, "10:00", "accueil", None), (14, "10:45", "niveau1", "accompagnement"),
             (5, "14:00", "niveau2", "poursuivre")],
            besoins="Ancienne secrétaire, hésite entre comptabilité et assistanat de direction.",
            niveau1={"situation_professionnelle": "demandeur_emploi"},
            projet={"metier_cible": "M1203", "notes": "Enquête métier à mener auprès de deux cabinets comptables.",
                    "etapes_realisees": ["evaluation"]}),
    _person("Lucas", "Perrin", 23, "demandeur_emploi", "Lucé", "hugo.renard",
            [(9, "10:00", "accueil", None), (9, "10:40", "niveau1", "fin")],
            besoins="Veut connaître ses droits à la formation avant de choisir.",
            niveau1={"situation_professionnelle": "jeune_sans_emploi", "informations_donnees": ["droits_cpf",
                                                                                                 "dispositifs"]}),
    # --- the CIO d'Orléans (not a CEP operator) refers an employee to the APEC d'Orléans ---------------
    _person("Hélène", "Faure", 40, "salarie", "Orléans", "isabelle.roux",
            [(2, "10:30", "accueil_cio", None), (2, "11:00", "orienter", "apec-orleans")],
            besoins="Cadre administrative, veut se reconvertir et demande un conseil en évolution professionnelle.",
            motif="Conseil en évolution professionnelle pour une salariée cadre qui veut se reconvertir.",
            message="Mme Faure est disponible le mardi ; elle souhaite un premier rendez-vous avant la fin du mois."),
]
