/* French for dmn-js: a `translate` module replacing the editor's English strings (those the
   decision table editor shows: headers, hit policies, context menus, cell editors). A string
   missing here stays in English; `{name}` placeholders are filled as dmn-js does. */
(function () {
  "use strict";
  var FR = {
    "Hit policy": "Règle de combinaison", "Hit policy:": "Règle de combinaison :",
    "Unique": "Unique", "First": "Première", "Priority": "Priorité", "Any": "Toutes identiques",
    "Collect": "Collecter", "Collect (Sum)": "Collecter (somme)", "Collect (Min)": "Collecter (minimum)",
    "Collect (Max)": "Collecter (maximum)", "Collect (Count)": "Collecter (nombre)",
    "Rule order": "Ordre des règles", "Output order": "Ordre des sorties",
    "No overlap is possible and all rules are disjoint. Only a single rule can be matched":
      "Les règles ne se recouvrent pas : une seule règle au plus correspond.",
    "Rules may overlap. The first matching rule will be chosen":
      "Les règles peuvent se recouvrir : la première qui correspond s'applique.",
    "Rules may overlap. The one with the highest priority will be chosen":
      "Les règles peuvent se recouvrir : celle de plus haute priorité s'applique.",
    "Rules may overlap. Their output have to match":
      "Les règles peuvent se recouvrir : leurs résultats doivent être identiques.",
    "Collects the values of all matching rules": "Toutes les règles qui correspondent s'appliquent.",
    "Collects the values of all matching rules and sums up to a single value":
      "Toutes les règles qui correspondent s'appliquent ; leurs valeurs sont additionnées.",
    "Collects the values of all matching rules and uses the lowest value":
      "Toutes les règles qui correspondent s'appliquent ; la plus petite valeur est retenue.",
    "Collects the values of all matching rules and uses the highest value":
      "Toutes les règles qui correspondent s'appliquent ; la plus grande valeur est retenue.",
    "Collects the values of all matching rules and counts the number of them":
      "Toutes les règles qui correspondent s'appliquent ; elles sont comptées.",
    "Collects the values of all matching rules in rule order":
      "Toutes les règles qui correspondent s'appliquent, dans l'ordre de la table.",
    "Collects the values of all matching rules in decreasing output priority order":
      "Toutes les règles qui correspondent s'appliquent, par priorité décroissante des sorties.",
    "When": "Quand", "And": "Et", "Then": "Alors", "Annotations": "Annotations", "Annotation": "Annotation",
    "Input": "Entrée", "Output": "Sortie", "Inputs": "Entrées", "Outputs": "Sorties",
    "Add input": "Ajouter une entrée", "Add output": "Ajouter une sortie", "Add rule": "Ajouter une règle",
    "Add input column left": "Ajouter une colonne d'entrée à gauche",
    "Add input column right": "Ajouter une colonne d'entrée à droite",
    "Add output column left": "Ajouter une colonne de sortie à gauche",
    "Add output column right": "Ajouter une colonne de sortie à droite",
    "Add rule above": "Ajouter une règle au-dessus", "Add rule below": "Ajouter une règle au-dessous",
    "Remove input column": "Supprimer la colonne d'entrée", "Remove output column": "Supprimer la colonne de sortie",
    "Remove rule": "Supprimer la règle", "Copy rule": "Copier la règle", "Cut rule": "Couper la règle",
    "Paste rule above": "Coller la règle au-dessus", "Paste rule below": "Coller la règle au-dessous",
    "Copy input column": "Copier la colonne d'entrée", "Cut input column": "Couper la colonne d'entrée",
    "Copy output column": "Copier la colonne de sortie", "Cut output column": "Couper la colonne de sortie",
    "Paste input column left": "Coller la colonne d'entrée à gauche",
    "Paste input column right": "Coller la colonne d'entrée à droite",
    "Paste output column left": "Coller la colonne de sortie à gauche",
    "Paste output column right": "Coller la colonne de sortie à droite",
    "Move rule": "Déplacer la règle", "Resize": "Redimensionner", "Delete": "Supprimer", "Edit": "Modifier",
    "Add cell description": "Ajouter une description à la cellule",
    "Remove cell description": "Retirer la description de la cellule",
    "Edit input": "Modifier l'entrée", "Edit output": "Modifier la sortie",
    "Input label": "Titre de la colonne", "Input label: ": "Titre de la colonne : ",
    "Output label": "Titre de la colonne", "Output label: ": "Titre de la colonne : ",
    "Input expression": "Expression d'entrée", "Input expression: ": "Expression d'entrée : ",
    "Output name": "Nom de la sortie", "Output name: ": "Nom de la sortie : ",
    "Input type": "Type de l'entrée", "Output type": "Type de la sortie", "Type": "Type", "Change type": "Changer le type",
    "Input values": "Valeurs de l'entrée", "Output values": "Valeurs de la sortie",
    "Predefined values": "Valeurs prédéfinies", "Add predefined values": "Ajouter des valeurs prédéfinies",
    "Clear predefined values": "Effacer les valeurs prédéfinies", "Add values": "Ajouter des valeurs",
    "Values": "Valeurs", "Value": "Valeur", "No values": "Aucune valeur", "Custom values": "Valeurs libres",
    "Expression": "Expression", "Enter expression": "Saisissez une expression",
    "Expression language": "Langage d'expression", "Expression language:": "Langage d'expression :",
    "Expression language: {expressionLanguageLabel}": "Langage d'expression : {expressionLanguageLabel}",
    "Change cell expression language": "Changer le langage d'expression de la cellule",
    "Editing not supported for set expression language": "Modification impossible avec ce langage d'expression",
    "Edit string": "Modifier le texte", "String value": "Texte", "Strings must be in double quotes":
      "Les textes s'écrivent entre guillemets doubles", "Match one": "Une des valeurs", "Match none": "Aucune des valeurs",
    "Edit number": "Modifier le nombre", "Comparison": "Comparaison", "Range": "Intervalle",
    "Comparison operator": "Opérateur de comparaison", "Equals": "Égal à", "Less": "Inférieur à",
    "Less or equals": "Inférieur ou égal à", "Greater": "Supérieur à", "Greater or equals": "Supérieur ou égal à",
    "Range start operator": "Opérateur de début", "Range start value": "Valeur de début",
    "Range end operator": "Opérateur de fin", "Range end value": "Valeur de fin", "Include": "Inclus", "Exclude": "Exclu",
    "Test type": "Type de test", "Edit boolean": "Modifier oui / non", "Boolean value": "Valeur oui / non",
    "Yes": "Oui", "No": "Non", "Exactly": "Exactement", "Before": "Avant", "After": "Après", "Between": "Entre",
    "Edit date": "Modifier la date", "Date": "Date", "Date value": "Date", "Set date": "Choisir la date",
    "Use today": "Aujourd'hui", "Start date": "Date de début", "End date": "Date de fin",
    "Edit start date": "Modifier la date de début", "Edit end date": "Modifier la date de fin",
    "Edit date and time": "Modifier la date et l'heure", "Date and time": "Date et heure",
    "Date and time value": "Date et heure", "Set date and time": "Choisir la date et l'heure", "Use now": "Maintenant",
    "Start date and time": "Début", "End date and time": "Fin", "Edit start date and time": "Modifier le début",
    "Edit end date and time": "Modifier la fin", "Edit time": "Modifier l'heure", "Time": "Heure",
    "Time value": "Heure", "Set time": "Choisir l'heure", "Start time": "Heure de début", "End time": "Heure de fin",
    "Edit start time": "Modifier l'heure de début", "Edit end time": "Modifier l'heure de fin",
    "Edit duration": "Modifier la durée", "Duration value": "Durée", "Set duration": "Choisir la durée",
    "Set value": "Choisir la valeur", "Start value": "Valeur de début", "End value": "Valeur de fin",
    "Decision name": "Nom de la décision", "Decision name: ": "Nom de la décision : ", "Element name": "Nom",
    "Definition ID": "Identifiant", "Definition name": "Nom", "View DRD": "Voir le schéma des décisions",
    "Variable name": "Nom de la variable", "Variable name:": "Nom de la variable :",
    "Variable type": "Type de la variable", "Variable type:": "Type de la variable :",
    "e.g. { example } ": "par ex. { example } ", "e.g. { sample }": "par ex. { sample }",
    "Search in diagram": "Rechercher", "Activate hand tool": "Outil main", "Activate lasso tool": "Outil lasso",
    "name": "nom", "Kind": "Type", "Literal expression": "Expression littérale",
    "Literal expression editor": "Éditeur d'expression littérale", "Add parameter": "Ajouter un paramètre",
    "Remove parameter": "Retirer le paramètre", "Edit formal parameters": "Modifier les paramètres",
    "Edit function kind": "Modifier le type de fonction", "Function kind: {kind}": "Type de fonction : {kind}",
    "Append decision": "Ajouter une décision", "Append input data": "Ajouter une donnée d'entrée",
    "Append knowledge source": "Ajouter une source de connaissance",
    "Append business knowledge model": "Ajouter un modèle de connaissance", "Add text annotation": "Ajouter une annotation",
    "Connect to other element": "Relier à un autre élément", "Create decision": "Créer une décision",
    "Create input data": "Créer une donnée d'entrée", "Create knowledge source": "Créer une source de connaissance",
    "Create knowledge model": "Créer un modèle de connaissance"
  };

  function translate(template, replacements) {
    var text = Object.prototype.hasOwnProperty.call(FR, template) ? FR[template] : template;
    replacements = replacements || {};
    return text.replace(/{([^}]+)}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(replacements, key) ? replacements[key] : whole;
    });
  }

  window.SproDmnFrench = { translate: ["value", translate], strings: FR };
})();
