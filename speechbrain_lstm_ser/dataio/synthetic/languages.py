r"""Neutral sentences in the languages the embedded emotion corpus never speaks.

The embedded corpus (:mod:`~speechbrain_lstm_ser.dataio.synthetic.emotion`)
is English only. The test-only ``languages`` domain
(:mod:`~speechbrain_lstm_ser.dataio.synthetic.domains`) renders the same
four emotion profiles with the same espeak-ng voice variants speaking
**German, Spanish, French and Italian**: what changes is the language (its
phonemes, lexical stress and espeak-ng's intonation rules for it), not the
voices or the rule-based emotions. Each language has the first twenty
English sentences of
:data:`~speechbrain_lstm_ser.dataio.synthetic.emotion.SENTENCES`,
translated, in the same order: everyday statements whose text does not
give an emotion away.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

__all__ = ["LANGUAGE_NAMES", "LANGUAGE_SENTENCES"]

#: espeak-ng voice of each held-out language -> its English name.
LANGUAGE_NAMES = {"de": "German", "es": "Spanish", "fr": "French", "it": "Italian"}

#: espeak-ng voice -> twenty neutral sentences in that language.
LANGUAGE_SENTENCES = {
    "de": (
        "Die Besprechung wurde in den zweiten Stock verlegt.",
        "Bitte stell die Bücher zurück ins Regal.",
        "Der Zug fährt um Viertel nach sieben ab.",
        "Ich glaube, der Wasserkocher steht noch auf dem Herd.",
        "Wir streichen den Zaun an diesem Wochenende grün.",
        "Das Paket kam am Dienstagnachmittag an.",
        "Um den Küchentisch stehen sechs Stühle.",
        "Biegen Sie am Ende der Straße links ab.",
        "Das Museum öffnet um zehn Uhr morgens.",
        "Sie schrieb die Zahlen auf eine kleine Karte.",
        "Das Fenster im Flur schließt nicht richtig.",
        "Er hat seinen Regenschirm an der Haustür gelassen.",
        "Der Bericht ist am Ende des Monats fällig.",
        "Unsere Nachbarn haben ein neues blaues Auto gekauft.",
        "Die Katze schläft unter der Treppe.",
        "Bring die Kisten aus dem Keller herauf.",
        "Der Bus war voll, als er den Bahnhof erreichte.",
        "Ich habe den Brief heute Morgen auf dem Schreibtisch gesehen.",
        "Der Garten braucht vor dem Abend Wasser.",
        "Sie haben das Schloss am hinteren Tor ausgetauscht.",
    ),
    "es": (
        "La reunión se ha trasladado al segundo piso.",
        "Por favor, vuelve a poner los libros en la estantería.",
        "El tren sale a las siete y cuarto.",
        "Creo que la tetera sigue en la cocina.",
        "Este fin de semana pintaremos la valla de verde.",
        "El paquete llegó el martes por la tarde.",
        "Hay seis sillas alrededor de la mesa de la cocina.",
        "Gire a la izquierda al final de la calle.",
        "El museo abre a las diez de la mañana.",
        "Ella escribió los números en una tarjeta pequeña.",
        "La ventana del pasillo no cierra bien.",
        "Dejó su paraguas junto a la puerta principal.",
        "El informe se entrega a final de mes.",
        "Nuestros vecinos compraron un coche azul nuevo.",
        "El gato duerme debajo de la escalera.",
        "Sube las cajas del sótano.",
        "El autobús iba lleno cuando llegó a la estación.",
        "Esta mañana vi la carta sobre el escritorio.",
        "El jardín necesita agua antes de la noche.",
        "Cambiaron la cerradura de la puerta de atrás.",
    ),
    "fr": (
        "La réunion a été déplacée au deuxième étage.",
        "Remets les livres sur l'étagère, s'il te plaît.",
        "Le train part à sept heures et quart.",
        "Je crois que la bouilloire est encore sur la cuisinière.",
        "Nous allons peindre la clôture en vert ce week-end.",
        "Le colis est arrivé mardi après-midi.",
        "Il y a six chaises autour de la table de la cuisine.",
        "Tournez à gauche au bout de la rue.",
        "Le musée ouvre à dix heures du matin.",
        "Elle a écrit les numéros sur une petite carte.",
        "La fenêtre du couloir ne ferme pas bien.",
        "Il a laissé son parapluie près de la porte d'entrée.",
        "Le rapport est à rendre à la fin du mois.",
        "Nos voisins ont acheté une nouvelle voiture bleue.",
        "Le chat dort sous l'escalier.",
        "Monte les cartons de la cave.",
        "Le bus était plein quand il est arrivé à la gare.",
        "J'ai vu la lettre sur le bureau ce matin.",
        "Le jardin a besoin d'eau avant le soir.",
        "Ils ont changé la serrure du portail arrière.",
    ),
    "it": (
        "La riunione è stata spostata al secondo piano.",
        "Per favore, rimetti i libri sullo scaffale.",
        "Il treno parte alle sette e un quarto.",
        "Credo che il bollitore sia ancora sul fornello.",
        "Questo fine settimana dipingeremo il recinto di verde.",
        "Il pacco è arrivato martedì pomeriggio.",
        "Ci sono sei sedie intorno al tavolo della cucina.",
        "Giri a sinistra in fondo alla strada.",
        "Il museo apre alle dieci del mattino.",
        "Ha scritto i numeri su un piccolo biglietto.",
        "La finestra del corridoio non si chiude bene.",
        "Ha lasciato l'ombrello vicino alla porta d'ingresso.",
        "La relazione va consegnata alla fine del mese.",
        "I nostri vicini hanno comprato una macchina blu nuova.",
        "Il gatto dorme sotto le scale.",
        "Porta su le scatole dalla cantina.",
        "L'autobus era pieno quando è arrivato alla stazione.",
        "Stamattina ho visto la lettera sulla scrivania.",
        "Il giardino ha bisogno di acqua prima di sera.",
        "Hanno cambiato la serratura del cancello sul retro.",
    ),
}
