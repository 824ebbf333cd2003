"""The demo people and their steps (see demo_people.py), across the six départements.

A step is (working days before today, "hh:mm" UTC, step name, argument); the steps of one person
are in date order. Receivers' steps are done by a demo user of the receiving structure. Every
phone (02 61 91 …, the ARCEP fiction range) and e-mail address (.example.org) is fictitious.
"""
import itertools
import unicodedata
from datetime import date

DEMO_PEOPLE_DOMAIN = "usagers.demo-spro.example.org"

METIER = "choisir-un-metier--confirmer-son-choix-de-metier"
DECOUVRIR = "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite"
COMPETENCES = "choisir-un-metier--identifier-ses-points-forts-et-ses-competences"
FORMATION = "se-former--trouver-sa-formation"
DOSSIER_FORMATION = "se-former--monter-son-dossier-de-formation"
OFFRES = "trouver-un-emploi--repondre-a-des-offres-demploi"
MAINTIEN = "trouver-un-emploi--maintien-dans-lemploi"
CV = "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation"
CREATION = "creer-une-entreprise--definir-son-projet-de-creation-dentreprise"
CONFIANCE = "remobilisation--bien-etre-confiance-en-soi"
PERMIS = "mobilite--preparer-un-permis"
ETRANGER = "souvrir-a-linternational--connaitre-les-opportunites-demploi-a-letranger"

_phones = itertools.count(8001)


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower().replace(" ", "-").replace("'", "")


def _person(prenom, nom, age, public, commune, by, steps, *, canal="sur_place", anonyme=False,
            contact=("telephone", "email"), **details) -> dict:
    number = next(_phones)
    identity = {"canal": canal, "anonyme": anonyme, "public": public, "commune": commune,
                "annee_naissance": date.today().year - age}  # an anonymous person may give it
    if not anonyme:
        identity.update(prenom=prenom, nom=nom)
        if "telephone" in contact:
            identity["telephone"] = f"02 61 91 {number // 100:02d} {number % 100:02d}"
        if "email" in contact:
            identity["email"] = f"{_ascii(prenom)}.{_ascii(nom)}@{DEMO_PEOPLE_DOMAIN}"
    return {"identity": identity, "by": by, "steps": steps, **details}


def _anonymous(age_hint, public, commune, by, steps, **details) -> dict:
    return _person(None, None, age_hint, public, commune, by, steps, anonyme=True, **details)


def _referral(days_ago, slug, hour="10:00"):
    """Reception, analysis and sending on the same morning."""
    return [(days_ago, hour, "accueil", "orientation"), (days_ago, hour[:3] + "40", "orienter", slug)]


PEOPLE = [
    # --- receptions in progress ------------------------------------------------------------
    _person("Noah", "Lemoine", 17, "scolaire", "Saint-Jean-de-la-Ruelle", "claire.martin",
            [(1, "14:10", "accueil", "start")]),
    _person("Inès", "Mercier", 24, "demandeur_emploi", "Vineuil (41350)", "yanis.bouzid",
            [(1, "09:20", "accueil", None)], canal="telephone"),
    _person("Kevin", "Dumas", 19, "demandeur_emploi", "Déols", "emma.rousseau",
            [(2, "15:30", "accueil", None)]),
    # --- documentation given (most requests are information requests) ----------------------
    _anonymous(16, "scolaire", "Orléans", "isabelle.roux", [(58, "10:15", "accueil", "documentation")],
               thematiques=[DECOUVRIR], besoins="Veut découvrir les métiers de la santé.",
               documentation="Fiches métiers infirmier·ère et aide-soignant·e, portes ouvertes des IFSI."),
    _anonymous(35, "salarie", "Tours", "camille.dubois", [(41, "11:00", "accueil", "documentation")],
               canal="telephone", thematiques=[FORMATION],
               besoins="Se renseigne sur les formations du soir en comptabilité.",
               documentation="Liste des formations du CNAM Centre-Val de Loire, guide du CPF."),
    _person("Lina", "Benard", 20, "etudiant", "Orléans", "marie.lopez",
            [(27, "13:45", "accueil", "documentation")], contact=("email",), canal="en_ligne",
            thematiques=[ETRANGER], besoins="Stage à l'étranger en troisième année de licence.",
            documentation="Guide Erasmus+ stages, contacts du service des relations internationales."),
    _anonymous(45, "demandeur_emploi", "Bourges", "aurelie.fontaine",
               [(12, "16:00", "accueil", "documentation")],
               thematiques=[METIER], besoins="Parent d'élève : parcours possibles après une troisième.",
               documentation="Guide « Après la 3e » de l'ONISEP, portes ouvertes des lycées du Cher."),
    _person("Mathis", "Royer", 22, "demandeur_emploi", "Chartres", "manon.bertin",
            [(6, "10:30", "accueil", "documentation")], contact=("telephone",),
            thematiques=[CV], besoins="Refaire son CV pour des offres en logistique.",
            documentation="Atelier CV du jeudi, modèles de CV et fiche métier préparateur de commandes."),
    _person("Chloé", "Vasseur", 31, "salarie", "Blois", "yanis.bouzid",
            [(3, "11:20", "accueil", "documentation")],
            thematiques=[MAINTIEN], besoins="Questions sur le congé de reconversion.",
            documentation="Fiche Transitions Pro sur le projet de transition professionnelle."),
    # --- personalised handling here, with counselling sessions --------------------------------
    _person("Yasmine", "Khelifi", 19, "demandeur_emploi", "Fleury-les-Aubrais", "karim.benali",
            [(55, "09:30", "accueil", "prise_en_charge"), (53, "10:00", "entretien", True),
             (48, "10:00", "seance", True), (43, "10:00", "seance", True), (38, "10:00", "seance", False),
             (38, "10:50", "plan", "formation")],
            thematiques=[FORMATION],
            besoins="Sortie de terminale sans diplôme, veut devenir auxiliaire de puériculture.",
            notes="Projet petite enfance motivé ; deux stages déjà faits en crèche.",
            seance="Travail sur le projet et les prérequis du concours ; recherche de financement.",
            plan="Inscription à la préparation au concours d'auxiliaire de puériculture (Région)."),
    _person("Dylan", "Maréchal", 23, "demandeur_emploi", "Joué-lès-Tours", "helene.garnier",
            [(30, "14:00", "accueil", "prise_en_charge"), (29, "14:00", "entretien", True),
             (24, "14:00", "seance", True), (19, "14:00", "seance", False), (19, "14:45", "plan", "emploi")],
            thematiques=[OFFRES, PERMIS], besoins="Cherche un emploi dans le bâtiment, pas de permis.",
            notes="CAP maçon obtenu en 2022 ; mobilité limitée.",
            seance="Candidatures ciblées et préparation aux entretiens ; point sur l'aide au permis.",
            plan="Embauche en CDD de six mois chez un artisan de Joué-lès-Tours."),
    _person("Sarah", "Lopes", 18, "apprenti", "Olivet", "sophie.lefebvre",
            [(15, "09:00", "accueil", "prise_en_charge"), (14, "09:30", "entretien", True),
             (9, "09:30", "seance", True), (4, "09:30", "seance", True)],
            thematiques=[METIER],
            besoins="Rupture de contrat d'apprentissage en coiffure, veut changer de voie.",
            notes="Rupture à l'amiable ; intérêt pour la vente et la fleuristerie.",
            seance="Enquêtes métiers et immersion prévue chez un fleuriste d'Olivet."),
    _person("Julien", "Texier", 29, "demandeur_emploi", "Châteauroux", "emma.rousseau",
            [(8, "10:00", "accueil", "prise_en_charge"), (7, "10:00", "entretien", False)],
            thematiques=[CV], besoins="Reprise d'activité après une longue maladie.",
            notes="Besoin ponctuel : CV et lettre ; pas de conseil approfondi demandé."),
    _person("Emma", "Guillot", 16, "scolaire", "Saran", "mathieu.girard",
            [(5, "15:00", "accueil", "prise_en_charge")],
            thematiques=[METIER], besoins="Hésite entre bac pro et seconde générale."),
    _person("Rayan", "Amrani", 21, "demandeur_emploi", "Tours", "camille.dubois",
            [(34, "10:00", "accueil", "prise_en_charge"), (33, "10:00", "entretien", True),
             (28, "10:00", "seance", False), (28, "10:40", "plan", "orientation"),
             (27, "09:00", "orienter", "cap-emploi-37"), (25, "11:00", "accepter", 2),
             (22, "10:00", "contact", "confirme")],
            thematiques=[OFFRES], besoins="Reconnu travailleur handicapé, cherche un emploi adapté.",
            notes="RQTH obtenue en début d'année ; souhaite un poste administratif.",
            seance="Bilan des capacités ; accord pour un accompagnement par Cap emploi.",
            plan="Orientation vers Cap emploi pour la recherche d'un poste adapté.",
            motif="Accompagnement spécialisé vers l'emploi (RQTH)."),
    # --- CEP opened by the reception (the CEP journeys themselves are in demo_cep.py) -----------
    _person("Nathalie", "Perrot", 44, "salarie", "Orléans", "lucas.moreau",
            [(9, "11:00", "accueil", "cep")],
            thematiques=[DOSSIER_FORMATION],
            besoins="Reconversion vers le métier de conseillère en insertion."),
    _person("Bruno", "Chauvin", 52, "salarie", "Montargis", "thomas.petit",
            [(2, "16:30", "accueil", "cep")],
            thematiques=[COMPETENCES], besoins="Cadre commercial, veut faire un bilan avant une reconversion."),
    # --- referrals open (sent in the last days) -------------------------------------------------
    _person("Léo", "Fournier", 15, "scolaire", "Orléans", "claire.martin", _referral(3, "cio-orleans"),
            thematiques=[METIER], besoins="Décrocheur de seconde, veut reprendre une formation.",
            motif="Bilan d'orientation scolaire avec une psychologue de l'Éducation nationale.",
            urgence="prioritaire"),
    _person("Manon", "Caron", 23, "demandeur_emploi", "Dreux", "manon.bertin", _referral(2, "ft-dreux"),
            thematiques=[OFFRES], besoins="Inscription et recherche d'emploi dans la vente.",
            motif="Inscription et accompagnement vers l'emploi.", mode="telephone"),
    _person("Hugo", "Barbier", 17, "scolaire", "Blois", "yanis.bouzid", _referral(4, "bij-blois"),
            thematiques=[ETRANGER], besoins="Job d'été en Irlande, premiers renseignements.",
            motif="Information jeunesse sur la mobilité internationale."),
    _anonymous(38, "autre", "Issoudun", "emma.rousseau", _referral(1, "cidff-indre"),
               thematiques=[CONFIANCE], besoins="Reprise d'activité après une séparation.",
               motif="Accompagnement spécifique (droits, reprise d'activité).", shared=["situation",
               "demande"]),
    # --- redirected: the partner sends the person to a third structure --------------------------
    _person("Anaïs", "Renaud", 26, "salarie", "Orléans", "isabelle.roux",
            _referral(4, "ml-orleans") + [(3, "10:30", "rediriger", "transitions-pro-cvl")],
            thematiques=[DOSSIER_FORMATION], besoins="Salariée en CDI, projet de reconversion en menuiserie.",
            motif="Projet de formation d'une jeune adulte.",
            redirection="Salariée en CDI : relève d'un projet de transition professionnelle."),
    _person("Thomas", "Gauthier", 34, "salarie", "Fleury-les-Aubrais", "marie.lopez",
            _referral(9, "cio-orleans") + [(8, "14:00", "rediriger", "apec-orleans"),
                                           (6, "09:30", "accepter", 3), (2, "10:00", "contact", "confirme")],
            thematiques=[COMPETENCES], besoins="Ancien étudiant devenu cadre, veut changer de secteur.",
            motif="Conseil en orientation.", redirection="Cadre en poste : l'APEC est mieux placée."),
    # --- accepted, first contact to confirm ---------------------------------------------------------
    _person("Camille", "Roussel", 16, "scolaire", "Saint-Jean-de-Braye", "karim.benali",
            _referral(6, "cio-orleans") + [(4, "15:00", "accepter", 7)],
            thematiques=[METIER], besoins="Veut quitter la voie générale pour un CAP cuisine.",
            motif="Changement de voie en cours d'année."),
    _person("Paul", "Marchand", 47, "salarie", "Tours", "antoine.chevalier",
            _referral(5, "ml-touraine") + [(3, "11:00", "accepter", 6)],
            thematiques=[MAINTIEN], besoins="Fils de 19 ans sans solution après son bac.",
            motif="Jeune de 19 ans sans emploi ni formation.", shared=["situation", "demande"]),
    _person("Lucie", "Hamon", 21, "etudiant", "Orléans", "olivier.lambert",
            _referral(20, "suio-orleans") + [(18, "10:00", "accepter", 3)],
            thematiques=[FORMATION], besoins="Réorientation après une première année de licence.",
            motif="Réorientation universitaire."),
    # --- first contact confirmed (aboutie) ----------------------------------------------------------
    _person("Ethan", "Collin", 18, "demandeur_emploi", "Orléans", "isabelle.roux",
            _referral(40, "ml-orleans") + [(37, "09:00", "accepter", 4), (32, "16:00", "contact", "confirme")],
            thematiques=[OFFRES, CV], besoins="Sorti du lycée sans diplôme, cherche un premier emploi.",
            motif="Jeune de 18 ans sortant du système scolaire."),
    _person("Sophie", "Langlois", 39, "salarie", "Orléans", "lucas.moreau",
            _referral(35, "transitions-pro-cvl") + [(33, "10:00", "accepter", 5), (27, "10:00", "contact",
                "confirme")],
            thematiques=[DOSSIER_FORMATION], besoins="Aide-soignante, projet de formation d'infirmière.",
            motif="Projet de transition professionnelle."),
    _person("Adrien", "Blanchard", 27, "demandeur_emploi", "Tours", "helene.garnier",
            _referral(26, "cap-emploi-37") + [(24, "14:00", "accepter", 3), (20, "09:00", "contact",
                "confirme")],
            thematiques=[OFFRES], besoins="RQTH, cherche un poste en logistique.",
            motif="Accompagnement Cap emploi."),
    # --- refused, then the sender chose again -------------------------------------------------------
    _person("Mehdi", "Bensaïd", 25, "demandeur_emploi", "Orléans", "claire.martin",
            _referral(12, "cio-orleans") + [(11, "10:00", "refuser", "public_non_couvert"),
                                            (10, "09:00", "orienter", "ft-orleans"), (8, "14:00", "accepter",
                                                6)],
            thematiques=[OFFRES], besoins="Cherche un emploi de cariste, a besoin du CACES.",
            motif="Accès à la formation CACES.",
            refus="Public adulte hors de notre champ : plutôt France Travail."),
    _person("Nicolas", "Fabre", 22, "etudiant", "Tours", "camille.dubois",
            _referral(18, "ml-orleans") + [(17, "11:00", "refuser", "hors_champ"),
                                           (16, "09:30", "orienter", "suio-tours")],
            thematiques=[FORMATION], besoins="Étudiant en L2, veut se réorienter en BTS.",
            motif="Réorientation d'un étudiant.", refus="Étudiant de Tours : le SUIO de Tours est compétent."),
    # --- late: reminded; escalated to the local coordinator (if any); reassigned by one ------------
    _person("Jade", "Lacroix", 20, "demandeur_emploi", "Orléans", "sophie.lefebvre", _referral(7,
        "cidff-loiret"),
            thematiques=[CONFIANCE], besoins="Jeune mère isolée, souhaite reprendre une activité.",
            motif="Droits et reprise d'activité.", urgence="prioritaire"),
    _person("Kylian", "Rolland", 24, "demandeur_emploi", "Chinon", "antoine.chevalier", _referral(8,
        "ml-touraine-chinon"),
            thematiques=[PERMIS], besoins="Aide au financement du permis de conduire.",
            motif="Aide à la mobilité."),
    _person("Océane", "Meunier", 19, "demandeur_emploi", "Gien", "claire.martin", _referral(14, "cci-loiret"),
            thematiques=[CREATION], besoins="Veut ouvrir un salon d'esthétique.",
            motif="Point A : projet de création."),
    _person("Romain", "Giraud", 33, "demandeur_emploi", "Amboise", "helene.garnier", _referral(13, "ft-tours"),
            thematiques=[OFFRES], besoins="Licencié économique, cherche dans l'industrie.",
            motif="Accompagnement renforcé."),
    _person("Audrey", "Poirier", 41, "salarie", "Orléans", "lucas.moreau",
            _referral(21, "akto-cvl") + [(3, "10:00", "reaffecter", ("olivier.lambert",
                "transitions-pro-cvl"))],
            thematiques=[DOSSIER_FORMATION], besoins="Intérimaire, financement d'une formation de soudeuse.",
            motif="Financement de la formation."),
    _person("Maxime", "Leclerc", 18, "apprenti", "Vendôme", "yanis.bouzid", _referral(12, "ml-vendome"),
            thematiques=[METIER], besoins="Apprenti en difficulté avec son employeur.",
            motif="Suivi d'un jeune apprenti."),
    _person("Clara", "Petitjean", 16, "scolaire", "Bourges", "aurelie.fontaine",
            _referral(22, "ml-bourges"),
            thematiques=[METIER], besoins="Cherche un apprentissage en boulangerie.",
            motif="Recherche de contrat d'apprentissage."),
    _person("Laura", "Picard", 30, "actif_non_salarie", "Blois", "yanis.bouzid",
            _referral(16, "cma-loir-et-cher"),
            thematiques=[CREATION], besoins="Projet de reprise d'une boulangerie à Blois.",
            motif="Accompagnement à la reprise d'entreprise artisanale."),
    _person("Margaux", "Denis", 17, "scolaire", "Chartres", "manon.bertin",
            _referral(25, "cio-chartres"),
            thematiques=[METIER], besoins="Choix d'orientation après la seconde.",
            motif="Conseil en orientation."),
    # --- expired, back to the sender ---------------------------------------------------------------
    _person("Élodie", "Bertrand", 36, "demandeur_emploi", "Vierzon", "aurelie.fontaine", _referral(38,
        "ft-bourges"),
            thematiques=[OFFRES], besoins="Recherche d'emploi après un congé parental.",
            motif="Retour à l'emploi."),
    _person("Samuel", "Fleury", 28, "demandeur_emploi", "Châteauroux", "emma.rousseau",
            _referral(45, "ft-chateauroux") + [(14, "10:00", "orienter", "cidff-indre")],
            thematiques=[CV], besoins="Refaire son CV après une reconversion ratée.",
            motif="Accompagnement à l'emploi."),
    # --- abandoned ---------------------------------------------------------------------------------
    _person("Victor", "Noël", 50, "salarie", "Orléans", "isabelle.roux",
            _referral(30, "apec-orleans") + [(28, "10:00", "refuser", "deja_accompagne"),
                                             (27, "09:00", "abandonner",
                                                 "La personne est déjà suivie par l'APEC.")],
            thematiques=[COMPETENCES], besoins="Parent d'élève, projet personnel de reconversion.",
            motif="Conseil en évolution professionnelle.", refus="Déjà accompagné par une consultante APEC."),
    _person("Amandine", "Carpentier", 26, "demandeur_emploi", "Dreux", "manon.bertin",
            _referral(50, "pij-dreux") + [(18, "09:00", "abandonner", "La personne a retrouvé un emploi.")],
            thematiques=[OFFRES], besoins="Recherche d'un emploi saisonnier.", motif="Offres saisonnières."),
    # --- first contact missed ----------------------------------------------------------------------
    _person("Tom", "Garcia", 20, "demandeur_emploi", "Orléans", "marie.lopez",
            _referral(28, "ml-orleans") + [(26, "10:00", "accepter", 3), (21, "09:00", "contact", "non_venue")],
            thematiques=[OFFRES], besoins="A arrêté sa licence, cherche un emploi.",
            motif="Accompagnement vers l'emploi.",
            contact="Deux rendez-vous manqués, messages sans réponse."),
]
