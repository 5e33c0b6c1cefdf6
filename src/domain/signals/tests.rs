use serde::Deserialize;

use super::amounts::amounts;
use super::lexicon::{parse_lexicon, LexiconError, LANGS, LEXICONS};
use super::normalize::PhraseSet;
use super::*;
use super::{detector, model, normalize};

fn input(text: &str) -> SignalInput {
    SignalInput {
        text: text.to_owned(),
        language: None,
        confidence: None,
        grounding_score: None,
        retrieved_chunks: None,
        classifier: None,
        tool_unsure: None,
    }
}

fn default_rules() -> CompiledRules {
    CompiledRules::compile(&SignalRules::default(), 7).expect("the built-in rules are valid")
}

/// Runs every case and reports all misses at once, so one run shows the whole picture.
fn check_cases(lang: &str, positives: &[&str], negatives: &[&str]) {
    let mut failures = Vec::new();
    for text in positives {
        if detect_human_request(text, &[]).is_none() {
            failures.push(format!("missed request: {text:?}"));
        }
    }
    for text in negatives {
        if let Some(m) = detect_human_request(text, &[]) {
            failures.push(format!(
                "false request: {text:?} (matched {:?} as {})",
                m.matched, m.lang
            ));
        }
    }
    assert!(failures.is_empty(), "[{lang}]\n{}", failures.join("\n"));
}

#[test]
fn english_requests_and_non_requests() {
    check_cases(
        "en",
        &[
            "Can I speak to a real person please?",
            "i need to talk to a humna",
            "get me an opertor",
            "I want a representitive",
            "HUMAN PLEASE!!!",
            "let me speak with a supervisor",
            "please transfer me to a live agent",
            "Is there anyone I can talk to?",
            "I don't want to talk to a bot, I want a human",
            "Can a human help me with this?",
            "agent please, my order is missing",
            "can someone call me back",
            "connect me to customer support",
            "I'd like to speak to a human being",
            "Can I talk to the agent I spoke to yesterday?",
            "humaaaan",
            "Why can't I talk to a person??",
            "I don't want to talk to a bot",
        ],
        &[
            "I don't want an agent",
            "I spoke to a person yesterday",
            "I already talked to an agent last week",
            "my estate agent needs the invoice",
            "agent of change is our slogan",
            "Are you a human?",
            "Can I pay in person at the store?",
            "How much is it per person?",
            "The agent seat costs 20 dollars a month",
            "Do customers talk to an agent or a bot first?",
            "You don't need to transfer me, the answer is fine",
            "Human error caused the outage",
            "I talked to an agent and it was fine",
            "I was transferred to an agent yesterday",
            "I am not a bot",
            "agent? no thanks",
            "What's the name of the person who signed for my parcel?",
            "Does live chat cost extra?",
        ],
    );
}

#[test]
fn german_requests_and_non_requests() {
    check_cases(
        "de",
        &[
            "Ich will mit einem Menschen reden",
            "Bitte verbinden Sie mich mit einem Mitarbeiter",
            "Kann ich bitte einen echten Menschen sprechen?",
            "MITARBEITER!!!",
            "Mensch bitte",
            "Ich brauche einen Berater",
            "Können Sie mich an den Kundenservice weiterleiten?",
            "Ist ein Mitarbeiter verfügbar?",
            "Ich möchte mit einem Mitarbieter sprechen",
            "Ich würde gerne mit jemandem vom Support sprechen",
            "Mit einem Servicemitarbeiter sprechen bitte",
        ],
        &[
            "Ich brauche keinen Menschen, nur die Rechnung",
            "Ich möchte nicht mit einem Mitarbeiter sprechen",
            "Ich habe gestern mit einem Mitarbeiter gesprochen",
            "Mein Berater hat mir das empfohlen",
            "Bist du ein Mensch?",
            "Ein Mitarbeiter war sehr unfreundlich",
            "Wie viel kostet es pro Person?",
            "Kein Mensch nötig, danke",
            "Mensch, das dauert aber lange!",
        ],
    );
}

#[test]
fn french_requests_and_non_requests() {
    check_cases(
        "fr",
        &[
            "Je veux parler à un humain",
            "Puis-je parler à un conseiller ?",
            "Mettez-moi en relation avec un opérateur",
            "CONSEILLER SVP",
            "un humain s'il vous plaît",
            "J'aimerais discuter avec quelqu'un du service client",
            "Passez-moi un agent",
            "Je voudrais parler a un operateur",
            "je veux un conseiler",
            "Est-ce qu'un conseiller est disponible ?",
        ],
        &[
            "Je n'ai pas besoin d'un conseiller",
            "Je ne veux pas parler à un humain",
            "J'ai parlé à un conseiller hier",
            "Êtes-vous un humain ?",
            "Personne ne répond au téléphone",
            "Mon agent immobilier a besoin de la facture",
            "Le prix est de 20 euros par personne",
            "Je suis une vraie personne",
        ],
    );
}

#[test]
fn spanish_requests_and_non_requests() {
    check_cases(
        "es",
        &[
            "Quiero hablar con un humano",
            "Necesito un agente",
            "¿Me pasas con un asesor?",
            "Por favor, comuníqueme con un ejecutivo",
            "PERSONA REAL POR FAVOR",
            "Quisiera hablar con alguien de atención al cliente",
            "Pásame con un operador",
            "¿Hay algún agente disponible?",
            "quiero hablar con una presona",
            "¿Cómo hablo con un asesor?",
        ],
        &[
            "No necesito un agente",
            "No quiero hablar con una persona",
            "Ayer hablé con un asesor",
            "¿Eres un humano?",
            "Mi agente de viajes reservó mal el vuelo",
            "¿Cuánto cuesta por persona?",
            "El departamento de recursos humanos",
            "No hace falta un humano, solo dime el precio",
        ],
    );
}

#[test]
fn portuguese_requests_and_non_requests() {
    check_cases(
        "pt",
        &[
            "Quero falar com um humano",
            "Preciso de um atendente",
            "Posso falar com uma pessoa real?",
            "me transfere para um atendente por favor",
            "ATENDENTE!!",
            "Gostaria de falar com alguém do suporte",
            "Tem algum atendente disponível?",
            "queria conversar com um consultor",
            "quero falar com um atendete",
        ],
        &[
            "Não preciso de atendente",
            "Não quero falar com um humano",
            "Ontem falei com um atendente",
            "Você é humano?",
            "Meu agente de viagens errou a reserva",
            "O preço é por pessoa?",
            "Cadastro de pessoa física",
            "Não é necessário um atendente",
        ],
    );
}

#[test]
fn dutch_requests_and_non_requests() {
    check_cases(
        "nl",
        &[
            "Ik wil met een mens praten",
            "Mag ik een medewerker spreken?",
            "Kunt u mij doorverbinden met de klantenservice?",
            "MEDEWERKER AUB",
            "Ik heb een medewerker nodig",
            "Graag een echt persoon",
            "Kan ik met iemand van de klantenservice chatten?",
            "Is er een medewerker beschikbaar?",
            "ik wil een medewerkr spreken",
        ],
        &[
            "Ik heb geen medewerker nodig",
            "Ik wil niet met een medewerker praten",
            "Ik heb gisteren met een medewerker gesproken",
            "Ben je een mens?",
            "Wat kost het per persoon?",
            "De medewerker was erg vriendelijk",
            "Mijn medewerker heeft de factuur",
        ],
    );
}

#[test]
fn italian_requests_and_non_requests() {
    check_cases(
        "it",
        &[
            "Voglio parlare con un operatore",
            "Posso parlare con una persona?",
            "Mi passi un operatore per favore",
            "OPERATORE!!!",
            "Ho bisogno di un operatore umano",
            "Vorrei chattare con qualcuno del servizio clienti",
            "C'è un operatore disponibile?",
            "vorrei parlare con un opratore",
            "Mettetemi in contatto con un consulente",
        ],
        &[
            "Non ho bisogno di un operatore",
            "Non voglio parlare con un operatore",
            "Ieri ho parlato con un operatore",
            "Sei un umano?",
            "Il prezzo è a persona?",
            "L'ufficio risorse umane",
            "Il mio agente immobiliare",
            "Non c'è bisogno di un operatore",
        ],
    );
}

#[test]
fn finnish_requests_and_non_requests() {
    check_cases(
        "fi",
        &[
            "Haluan puhua ihmisen kanssa",
            "Voinko puhua asiakaspalvelijan kanssa?",
            "Haluaisin jutella oikean ihmisen kanssa",
            "Siirtäkää minut asiakaspalveluun",
            "ASIAKASPALVELIJA KIITOS",
            "Tarvitsen ihmisen",
            "Onko asiakaspalvelija paikalla?",
            "Saanko puhua henkilön kanssa?",
            "haluan puhua asiakaspalvelijn kanssa",
        ],
        &[
            "En halua puhua ihmisen kanssa",
            "Ei tarvitse ihmistä",
            "Puhuin eilen asiakaspalvelijan kanssa",
            "Oletko ihminen?",
            "Hinta on 20 euroa per henkilö",
            "Asiakaspalvelija oli ystävällinen",
            "En tarvitse asiakaspalvelijaa",
        ],
    );
}

#[test]
fn swedish_requests_and_non_requests() {
    check_cases(
        "sv",
        &[
            "Jag vill prata med en människa",
            "Kan jag få prata med en handläggare?",
            "Koppla mig till kundtjänst",
            "MÄNNISKA TACK",
            "Jag behöver prata med någon på kundtjänst",
            "Finns det en handläggare tillgänglig?",
            "jag vill prata med en manniska",
            "Jag vill tala med en riktig person",
            "jag vill prata med en männsika",
        ],
        &[
            "Jag vill inte prata med en människa",
            "Jag behöver ingen handläggare",
            "Jag pratade med en handläggare igår",
            "Är du en människa?",
            "Det kostar 100 kr per person",
            "Handläggaren var trevlig",
            "Min handläggare sa att jag skulle skriva här",
        ],
    );
}

#[test]
fn polish_requests_and_non_requests() {
    check_cases(
        "pl",
        &[
            "Chcę rozmawiać z człowiekiem",
            "Czy mogę porozmawiać z konsultantem?",
            "Proszę o połączenie z konsultantem",
            "KONSULTANT PROSZĘ",
            "Potrzebuję pracownika",
            "Chciałbym rozmawiać z żywym człowiekiem",
            "Przekieruj mnie do konsultanta",
            "Czy jest dostępny konsultant?",
            "chce rozmawiac z konsultatnem",
        ],
        &[
            "Nie chcę rozmawiać z konsultantem",
            "Nie potrzebuję konsultanta",
            "Wczoraj rozmawiałem z konsultantem",
            "Czy jesteś człowiekiem?",
            "Cena za osobę",
            "Mój doradca to polecił",
            "Konsultant był bardzo miły",
        ],
    );
}

#[test]
fn danish_requests_and_non_requests() {
    check_cases(
        "da",
        &[
            "Jeg vil gerne tale med et menneske",
            "Kan jeg tale med en medarbejder?",
            "Stil mig om til kundeservice",
            "MEDARBEJDER TAK",
            "Jeg har brug for en rådgiver",
            "Må jeg snakke med en rigtig person?",
            "Er der en medarbejder ledig?",
            "jeg vil tale med en medarbjder",
        ],
        &[
            "Jeg vil ikke tale med et menneske",
            "Jeg har ikke brug for en medarbejder",
            "Jeg talte med en medarbejder i går",
            "Er du et menneske?",
            "Det koster 100 kr per person",
            "Min rådgiver anbefalede det",
            "Medarbejderen var meget venlig",
        ],
    );
}

#[test]
fn a_negation_ends_at_the_next_statement() {
    check_cases(
        "negation scope",
        &[
            "it doesnt work i want a human",
            "i dont understand this let me talk to a human",
            "no i want an agent",
            "Das funktioniert nicht ich will einen Menschen",
            "ça marche pas je veux un humain",
            "no me entiendes quiero un agente",
            "Ei toimi, haluan puhua ihmisen kanssa",
        ],
        &[
            "I do not need a human, the bot is fine",
            "I would never want to speak to a human about this",
            "Never transfer me to an operator again",
            "Ich hoffe, ich brauche keinen Mitarbeiter",
            "Je n'ai plus besoin d'un conseiller",
            "Não preciso de um atendente agora",
        ],
    );
}

/// Where "not" follows the verb ("Bel me niet", "Ring mig inte", "ring mig ikke"), a negation
/// right after a request of its own refuses it, across polite words, in any language.
#[test]
fn a_negation_right_after_a_request_refuses_it() {
    check_cases(
        "negation after",
        &[
            "bel me terug aub",
            "Ring mig tack",
            "ring mig op venligst",
            "Bel me, niet mailen",
        ],
        &[
            "Bel me aub niet, stuur maar een mail met de nieuwe datum",
            "Ring mig inte, sitter på tåget utan täckning. Svara här.",
            "ring mig ikke, skriv hellere",
            "bel me alsjeblieft niet",
        ],
    );
}

/// An e-mail or web address is nobody's name: "compta.leblanc@orange.fr" names no accounts
/// department. A request beside one is still found, and quoted from the customer's text.
#[test]
fn addresses_are_not_read_as_words() {
    check_cases(
        "addresses",
        &["I want to talk to a person, my mail is jo@x.org."],
        &[
            "Pouvez-vous envoyer la facture à mon comptable ? compta.leblanc@orange.fr",
            "mail the receipt to agent.smith@example.com please",
            "the link https://example.com/support/agent is broken",
            "check www.agent-shop.com for the offer",
        ],
    );
    let m = detect_human_request("écrivez à compta@x.fr ou passez-moi un conseiller", &[])
        .expect("the request beside the address");
    assert_eq!(m.matched, "passez-moi un conseiller");
    let toks = normalize::tokenize("mail a@b.co. Agent please");
    let words: Vec<&str> = toks.iter().map(|t| t.word.as_str()).collect();
    assert_eq!(words, ["mail", "agent", "please"]);
    assert_eq!((toks[1].start, toks[1].end), (13, 18));
    assert_ne!(
        toks[0].clause, toks[1].clause,
        "the full stop after the address still ends a statement"
    );
}

#[test]
fn refusing_the_bot_is_a_request_for_a_person() {
    check_cases(
        "anti-bot",
        &[
            "I do not want to chat with a machine",
            "Ich will nicht mit dem Bot reden",
            "je ne veux pas parler à un robot",
            "No quiero hablar con un bot",
            "Não quero falar com robô",
        ],
        &["I am not a bot", "not a robot", "Is this a bot?"],
    );
}

#[test]
fn someone_who_is_not_a_machine_is_a_person() {
    check_cases(
        "not a machine",
        &[
            "can i talk to somebody who is not a robot",
            "is there anyone who isnt a bot",
            "ich will mit jemandem sprechen, der kein Bot ist",
            "quiero hablar con alguien que no sea una máquina",
            "ik wil iemand spreken die geen robot is",
            "jeg vil tale med en der ikke er en bot",
        ],
        &["I am not a bot", "the captcha says I'm a robot but I'm not"],
    );
}

#[test]
fn telling_the_bot_to_stop_asks_for_a_person() {
    check_cases(
        "bot stops",
        &[
            "turn off the bot please",
            "enough with the bot",
            "schalten Sie den Bot ab",
            "coupez le bot",
            "zet die bot uit",
            "sluk for botten",
        ],
        &[
            "how do i turn off the bot notifications",
            "stop the bot from sending me emails",
            "wie schalte ich den Bot aus",
            "botti riittää minulle",
        ],
    );
}

#[test]
fn a_later_pronoun_can_stand_for_the_person_asked_about() {
    check_cases(
        "anaphora",
        &[
            "who is your supervisor? I want to talk to them",
            "chi è il direttore? voglio parlare con lui",
            "wer ist der Chef? ich will ihn sprechen",
            // Named by what they do: a [roles] word in the question.
            "who decides on refunds? I want to talk to them",
            "wer ist für Reklamationen zuständig? ich möchte mit ihm sprechen",
            "Kuka päättää hyvityksistä? Haluan puhua hänen kanssaan",
        ],
        &[
            "who is the manufacturer of this tv? i want to contact them about the warranty",
            "who delivered my parcel? i want to thank him",
            "who decides these prices? I want to thank them",
            "who approves refunds? tell them I said thanks",
            "I want to talk to them about the invoice",
        ],
    );
}

#[test]
fn complaining_to_someone_is_a_request_but_about_someone_is_not() {
    check_cases(
        "complaints",
        &[
            "I want to file a complaint with your manager",
            "je veux me plaindre à votre supérieur",
            "quiero quejarme con tu jefe",
            "jag vill klaga hos din chef",
            "ich möchte mich bei Ihrem Vorgesetzten beschweren",
        ],
        &[
            "I want to complain about your driver",
            "je voudrais me plaindre du livreur",
            "quiero quejarme del repartidor",
            "jag vill klaga på budet",
            "nobody needs to call me back, sorted now",
        ],
    );
}

#[test]
fn a_modal_that_belongs_to_another_verb_is_not_a_request() {
    check_cases(
        "verb-final",
        &[
            "Kann ich einen Menschen sprechen?",
            "Kan ik een medewerker spreken?",
        ],
        &[
            "Wie kann ich einen Mitarbeiter zu meinem Konto hinzufügen?",
            "Kann ich einen Mitarbeiter einladen?",
            "Hoe kan ik een medewerker toevoegen?",
            "kan ik een teamlid toevoegen aan mijn account",
        ],
    );
}

#[test]
fn accents_may_be_missing_or_decomposed_and_letters_stretched() {
    for text in [
        "parler à un opérateur",
        "parler a un operateur",
        "parler a\u{300} un ope\u{301}rateur",
        "ich möchte mit einem mitarbeiter sprechen",
        "ich mochte mit einem mitarbeiter sprechen",
        "CHCĘ ROZMAWIAĆ Z CZŁOWIEKIEM",
        "humaaaan pleaseeee",
    ] {
        assert!(detect_human_request(text, &[]).is_some(), "missed {text:?}");
    }
}

#[test]
fn the_schemas_generate() {
    use utoipa::PartialSchema;
    for schema in [
        SignalRules::schema(),
        SignalInput::schema(),
        Evaluation::schema(),
        RuleError::schema(),
    ] {
        let json = serde_json::to_string(&schema).expect("a schema serialises");
        assert!(json.contains("properties"), "{json}");
    }
}

#[test]
fn the_match_quotes_the_customers_words_and_names_the_language() {
    let m = detect_human_request(
        "Hi there. Ich möchte bitte mit einem Menschen sprechen!",
        &[],
    )
    .expect("a request");
    assert_eq!(m.lang, "de");
    assert_eq!(m.matched, "möchte bitte mit einem Menschen sprechen");
}

#[test]
fn extra_phrases_count_as_requests_but_negations_still_cancel() {
    let extra = vec!["Baton buddy".to_owned()];
    assert!(detect_human_request("get me a baton buddy", &extra).is_some());
    assert!(detect_human_request("I don't want a Baton buddy", &extra).is_none());
    assert!(detect_human_request("get me a baton buddy", &[]).is_none());
}

#[test]
fn a_refund_over_the_threshold_that_also_asks_for_a_person_is_out_of_scope() {
    let rules = default_rules();
    let e = evaluate(
        &rules,
        &input("I want a refund of 500 EUR and I want to talk to a person"),
    );
    assert!(e.handoff);
    assert_eq!(e.reason, Some(HandoffReason::OutOfScope));
    assert_eq!(e.rule.as_deref(), Some("scope:refund"));
    assert_eq!(e.rules_version, 7);

    let small = evaluate(
        &rules,
        &input("I want a refund of 50 EUR and I want to talk to a person"),
    );
    assert_eq!(small.reason, Some(HandoffReason::UserRequested));
    assert_eq!(small.rule.as_deref(), Some("human_request:en"));
}

#[test]
fn scope_then_request_then_confidence() {
    let rules = default_rules();
    let mut low = input("Can I talk to a lawyer about this?");
    low.confidence = Some(0.1);
    assert_eq!(
        evaluate(&rules, &low).rule.as_deref(),
        Some("scope:legal_advice")
    );

    let mut asked = input("agent please");
    asked.confidence = Some(0.1);
    let e = evaluate(&rules, &asked);
    assert_eq!(e.reason, Some(HandoffReason::UserRequested));
    assert_eq!(e.matched.as_deref(), Some("agent please"));

    let mut unsure = input("What are your opening hours?");
    unsure.confidence = Some(0.31);
    unsure.grounding_score = Some(0.1);
    let e = evaluate(&rules, &unsure);
    assert_eq!(e.reason, Some(HandoffReason::LowConfidence));
    assert_eq!(e.rule.as_deref(), Some("confidence:below_threshold"));
    assert_eq!(e.matched.as_deref(), Some("confidence 0.31 < 0.5"));

    unsure.confidence = Some(0.9);
    assert_eq!(
        evaluate(&rules, &unsure).rule.as_deref(),
        Some("confidence:low_grounding")
    );
    unsure.grounding_score = None;
    unsure.retrieved_chunks = Some(0);
    assert_eq!(
        evaluate(&rules, &unsure).rule.as_deref(),
        Some("confidence:no_retrieved_chunks")
    );
    unsure.retrieved_chunks = Some(3);
    unsure.tool_unsure = Some(true);
    assert_eq!(
        evaluate(&rules, &unsure).rule.as_deref(),
        Some("confidence:tool_unsure")
    );
    unsure.tool_unsure = Some(false);
    let calm = evaluate(&rules, &unsure);
    // The second opinion judged it (no lexicon took it for a request) and found it far from one.
    let score = calm.request_score.expect("the second opinion's score");
    assert!(score < 0.5, "{score}");
    assert_eq!(
        calm,
        Evaluation {
            handoff: false,
            reason: None,
            rule: None,
            matched: None,
            request_score: Some(score),
            rules_version: 7
        }
    );
}

#[test]
fn the_built_in_scope_rules_fire_on_their_topics() {
    let rules = default_rules();
    let rule = |text: &str| evaluate(&rules, &input(text)).rule;
    assert_eq!(
        rule("I will take legal action").as_deref(),
        Some("scope:legal_advice")
    );
    assert_eq!(
        rule("Ich werde meinen Anwalt einschalten").as_deref(),
        Some("scope:legal_advice")
    );
    assert_eq!(
        rule("Can you give me a better price?").as_deref(),
        Some("scope:pricing_negotiation")
    );
    assert_eq!(
        rule("Je veux un remboursement de 250,00 €").as_deref(),
        Some("scope:refund")
    );
    assert_eq!(rule("Refund my order 12345 please").as_deref(), None);
    assert_eq!(
        rule("The agent I spoke to was extremely rude").as_deref(),
        Some("scope:staff_complaint")
    );
    assert_eq!(
        rule("Der Mitarbeiter war sehr unfreundlich").as_deref(),
        Some("scope:staff_complaint")
    );
    assert_eq!(rule("the bot is rude").as_deref(), None);
    assert_eq!(rule("that reply was rude").as_deref(), None);
    assert_eq!(
        rule("El repartidor fue muy grosero").as_deref(),
        Some("scope:staff_complaint")
    );
    assert_eq!(
        rule("Kundtjänstpersonalen var otrevlig").as_deref(),
        Some("scope:staff_complaint")
    );
    assert_eq!(rule("Do you ship to Norway?").as_deref(), None);
}

#[test]
fn the_classifier_triggers_a_category_above_its_minimum_score() {
    let rules = default_rules();
    let mut text = input("I have a question about my contract");
    text.classifier = Some(ClassifierSignal {
        topic: "Legal".into(),
        score: Some(0.9),
    });
    let e = evaluate(&rules, &text);
    assert_eq!(e.rule.as_deref(), Some("scope:legal_advice"));
    assert_eq!(e.matched.as_deref(), Some("classifier topic legal (0.9)"));
    text.classifier = Some(ClassifierSignal {
        topic: "legal".into(),
        score: Some(0.2),
    });
    assert_eq!(evaluate(&rules, &text).rule, None);
}

#[test]
fn amounts_are_read_in_common_formats() {
    let values = |t: &str| amounts(t).into_iter().map(|a| a.value).collect::<Vec<_>>();
    assert_eq!(values("refund $250"), vec![250.0]);
    assert_eq!(values("250 EUR back"), vec![250.0]);
    assert_eq!(values("250,00 €"), vec![250.0]);
    assert_eq!(values("it cost 1.200"), vec![1200.0]);
    assert_eq!(values("€1,200.50 total"), vec![1200.5]);
    assert_eq!(values("1.200,50 zł"), vec![1200.5]);
    assert_eq!(values("19.99 dollars"), vec![19.99]);
    assert_eq!(
        values("order 12345, placed 12.05.2024 at 10:30, 3 days ago, in 2023, #998"),
        Vec::<f64>::new()
    );
}

#[test]
fn validation_names_the_offending_fields() {
    let mut rules = SignalRules::default();
    rules.scope[1].name = "legal_advice".into();
    rules.scope[2].regexes = vec!["(unclosed".into(), "a*".into()];
    rules.scope[3].name = "   ".into();
    rules.scope[3].phrases = vec!["".into(), "…".into()];
    rules.scope[0].amount_threshold = Some(-1.0);
    rules.scope[0].classifier_min_score = 1.5;
    rules.confidence.min_confidence = 1.2;
    rules.confidence.min_grounding = -0.1;
    rules.human_request.extra_phrases = vec!["!!!".into()];
    rules.scope.push(ScopeCategory {
        name: "empty".into(),
        phrases: vec![],
        regexes: vec![],
        amount_threshold: None,
        classifier_topics: vec![],
        classifier_min_score: 0.5,
    });
    let errors = rules.validate().expect_err("invalid rules");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for expected in [
        "scope[1].name",
        "scope[2].regexes[0]",
        "scope[2].regexes[1]",
        "scope[3].name",
        "scope[3].phrases[0]",
        "scope[3].phrases[1]",
        "scope[0].amount_threshold",
        "scope[0].classifier_min_score",
        "confidence.min_confidence",
        "confidence.min_grounding",
        "human_request.extra_phrases[0]",
        "scope[4]",
    ] {
        assert!(
            fields.contains(&expected),
            "no error for {expected} in {errors:#?}"
        );
    }
    assert!(errors
        .iter()
        .any(|e| e.message.contains("duplicates the name of scope[0]")));
    assert!(CompiledRules::compile(&rules, 1).is_err());
}

#[test]
fn rules_round_trip_as_json_and_reject_unknown_fields() {
    let rules = SignalRules::default();
    rules.validate().expect("the built-in rules are valid");
    let json = serde_json::to_string(&rules).expect("serialises");
    let back: SignalRules = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, rules);

    let minimal: SignalRules =
        serde_json::from_str(r#"{"scope":[{"name":"vip","phrases":["vip*"]}]}"#)
            .expect("defaults fill in");
    assert!(minimal.human_request.enabled);
    assert_eq!(minimal.scope[0].classifier_min_score, 0.7);
    assert!(serde_json::from_str::<SignalRules>(r#"{"scopes":[]}"#).is_err());
    assert!(serde_json::from_str::<SignalInput>(r#"{"text":"hi","confidance":0.2}"#).is_err());
}

#[test]
fn custom_phrases_regexes_and_disabled_requests() {
    let rules = SignalRules {
        scope: vec![ScopeCategory {
            name: "vip".into(),
            phrases: vec!["platinum member*".into()],
            regexes: vec![r"\bVIP-\d{4}\b".into()],
            amount_threshold: None,
            classifier_topics: vec![],
            classifier_min_score: 0.5,
        }],
        human_request: HumanRequestRules {
            extra_phrases: vec![],
            enabled: false,
            model: true,
        },
        confidence: ConfidenceRules::default(),
    };
    let rules = CompiledRules::compile(&rules, 2).expect("valid");
    let e = evaluate(&rules, &input("As Platinum Members we expect more"));
    assert_eq!(e.matched.as_deref(), Some("Platinum Members"));
    assert_eq!(
        evaluate(&rules, &input("my code is vip-1234"))
            .matched
            .as_deref(),
        Some("vip-1234")
    );
    assert!(!evaluate(&rules, &input("human please")).handoff);
}

#[derive(Deserialize)]
struct DevCase {
    text: String,
    lang: String,
    human_request: bool,
}

#[derive(Default)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Counts {
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }

    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }

    fn n(&self) -> usize {
        self.tp + self.fp + self.fn_ + self.tn
    }
}

/// A labelled set scored by the detector: overall, per language, and the misses.
struct Scored {
    overall: Counts,
    per_lang: std::collections::BTreeMap<String, Counts>,
    misses: Vec<String>,
}

fn parse_cases(name: &str, data: &str) -> Vec<DevCase> {
    data.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(line_no, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{name}:{}: not a labelled case: {e}", line_no + 1))
        })
        .collect()
}

/// Runs the detector over a labelled set and prints its table (precision, recall, n per
/// language; `--nocapture` shows it), then every miss with what matched.
fn score(name: &str, data: &str) -> Scored {
    let scored = score_quietly(name, data);
    for miss in &scored.misses {
        println!("{miss}");
    }
    scored
}

/// [`score`] without printing the misses: for the held-out set, whose misses must not be
/// seen while tuning (only its table is printed).
fn score_quietly(name: &str, data: &str) -> Scored {
    score_quietly_by(name, data, |text| detect_human_request(text, &[]))
}

/// [`score_quietly`] with another detector (the lexicon alone, say).
fn score_quietly_by(
    name: &str,
    data: &str,
    detect: impl Fn(&str) -> Option<HumanRequestMatch>,
) -> Scored {
    let mut scored = Scored {
        overall: Counts::default(),
        per_lang: Default::default(),
        misses: Vec::new(),
    };
    for case in parse_cases(name, data) {
        let found = detect(&case.text);
        let counts = scored.per_lang.entry(case.lang.clone()).or_default();
        for c in [&mut scored.overall, counts] {
            match (case.human_request, found.is_some()) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                (false, false) => c.tn += 1,
            }
        }
        if case.human_request != found.is_some() {
            scored.misses.push(format!(
                "  [{}] expected {}: {:?} -> {:?}",
                case.lang, case.human_request, case.text, found
            ));
        }
    }
    println!("{name}");
    println!("lang      n  precision  recall");
    for (lang, c) in &scored.per_lang {
        println!(
            "{lang:<5} {:>5}  {:>9.3}  {:>6.3}",
            c.n(),
            c.precision(),
            c.recall()
        );
    }
    let all = &scored.overall;
    println!(
        "all   {:>5}  {:>9.3}  {:>6.3}",
        all.n(),
        all.precision(),
        all.recall()
    );
    assert!(all.n() > 0, "{name} is empty");
    scored
}

#[test]
fn dev_set_precision_and_recall() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/signals/dev.jsonl");
    let data = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read the dev set {path}: {e}"));
    let overall = score(path, &data).overall;
    assert!(
        overall.precision() >= 0.98,
        "precision {:.3} < 0.98",
        overall.precision()
    );
    assert!(
        overall.recall() >= 0.95,
        "recall {:.3} < 0.95",
        overall.recall()
    );
}

const TUNE_SET: &str = include_str!("../../../tests/data/signals/tune.jsonl");
const HELDOUT_SET: &str = include_str!("../../../tests/data/signals/heldout.jsonl");
const FRESH_SET: &str = include_str!("../../../tests/data/signals/fresh.jsonl");

/// The broad set's targets: precision >= 0.98 and recall >= 0.97 overall, and recall >= 0.9
/// in every one of the eleven languages (each has a third of its requests in each file).
fn assert_broad_targets(name: &str, data: &str) -> Scored {
    let scored = score(name, data);
    assert_issue_targets(name, &scored);
    scored
}

/// The issue's targets on a scored set: precision 0.98, recall 0.97, every language's recall
/// 0.9, every language present.
fn assert_issue_targets(name: &str, scored: &Scored) {
    let mut failures = Vec::new();
    let all = &scored.overall;
    if all.precision() < 0.98 {
        failures.push(format!("precision {:.3} < 0.98", all.precision()));
    }
    if all.recall() < 0.97 {
        failures.push(format!("recall {:.3} < 0.97", all.recall()));
    }
    for (lang, c) in &scored.per_lang {
        if c.recall() < 0.9 {
            failures.push(format!("{lang}: recall {:.3} < 0.9", c.recall()));
        }
    }
    let langs: Vec<&str> = scored.per_lang.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = LEXICONS.iter().map(|(_, code, _)| *code).collect();
    expected.sort_unstable();
    assert_eq!(langs, expected, "{name} must cover every language");
    assert!(failures.is_empty(), "{name}: {}", failures.join("; "));
}

#[test]
fn tune_set_meets_the_targets() {
    assert_broad_targets("tests/data/signals/tune.jsonl", TUNE_SET);
}

#[test]
fn heldout_set_meets_the_targets() {
    assert_broad_targets("tests/data/signals/heldout.jsonl", HELDOUT_SET);
}

/// Written after the first tuning and measured once (precision 0.979, recall 0.705), then used
/// as tuning material for the second round (see the README), so it now carries the targets.
#[test]
fn fresh_set_meets_the_targets() {
    assert_broad_targets("tests/data/signals/fresh.jsonl", FRESH_SET);
}

/// Recall 1.0 in every language: the floor of a held-out set once it became tuning material.
const EVERY_LANGUAGE_FULLY_RECALLED: [(&str, f64); 11] = [
    ("da", 1.0),
    ("de", 1.0),
    ("en", 1.0),
    ("es", 1.0),
    ("fi", 1.0),
    ("fr", 1.0),
    ("it", 1.0),
    ("nl", 1.0),
    ("pl", 1.0),
    ("pt", 1.0),
    ("sv", 1.0),
];

const UNSEEN_SET: &str = include_str!("../../../tests/data/signals/unseen.jsonl");

/// Recall per language on `unseen.jsonl`: at the end of the second round (da 0.75, de 0.93,
/// en 0.75, es 0.93, fi 0.93, fr 0.87, it 0.81, nl 0.87, pl 0.56, pt 1.0, sv 0.81), raised to
/// the level measured at the end of the third round, when the set had become tuning material.
const UNSEEN_RECALL_FLOORS: [(&str, f64); 11] = EVERY_LANGUAGE_FULLY_RECALLED;

/// The second round's held-out set (measured once then: precision 1.000, recall 0.841). It
/// was measured, so the third round tuned on its misses (see the README): it now carries the
/// targets, and its floors guard the level reached at the end of the third round.
#[test]
fn unseen_set_keeps_its_measured_level() {
    let scored = assert_broad_targets("tests/data/signals/unseen.jsonl", UNSEEN_SET);
    assert_floors(
        "tests/data/signals/unseen.jsonl",
        &scored,
        1.0,
        1.0,
        &UNSEEN_RECALL_FLOORS,
    );
}

/// Fails when a scored set falls below its measured precision, overall recall or any
/// language's recall.
fn assert_floors(
    name: &str,
    scored: &Scored,
    precision: f64,
    recall: f64,
    per_lang: &[(&str, f64)],
) {
    let all = &scored.overall;
    let mut failures = Vec::new();
    if all.precision() < precision {
        failures.push(format!("precision {:.3} < {precision}", all.precision()));
    }
    if all.recall() < recall {
        failures.push(format!("recall {:.3} < {recall}", all.recall()));
    }
    for (lang, floor) in per_lang {
        let got = scored.per_lang.get(*lang).map_or(0.0, Counts::recall);
        if got < *floor {
            failures.push(format!("{lang}: recall {got:.3} < {floor}"));
        }
    }
    assert_eq!(
        scored.per_lang.len(),
        LEXICONS.len(),
        "every language is in {name}"
    );
    assert!(failures.is_empty(), "{name}: {}", failures.join("; "));
}

const ROUND3_SET: &str = include_str!("../../../tests/data/signals/round3.jsonl");

/// Recall per language on `round3.jsonl`: measured once at the end of the third round
/// (precision 0.981, recall 0.858: da 0.87, de 0.81, en 0.87, es 0.87, fi 0.93, fr 0.81,
/// it 0.75, nl 0.87, pl 0.81, pt 0.81, sv 1.0), raised to the level at the end of the fourth
/// round, when the set had become tuning material.
const ROUND3_RECALL_FLOORS: [(&str, f64); 11] = EVERY_LANGUAGE_FULLY_RECALLED;

/// The third round's held-out set. It was measured, so the fourth round tuned on its misses
/// (see the README): it now carries the targets, and its floors guard the level reached at
/// the end of the fourth round.
#[test]
fn round3_set_keeps_its_measured_level() {
    let scored = assert_broad_targets("tests/data/signals/round3.jsonl", ROUND3_SET);
    assert_floors(
        "tests/data/signals/round3.jsonl",
        &scored,
        1.0,
        1.0,
        &ROUND3_RECALL_FLOORS,
    );
}

const ROUND4_SET: &str = include_str!("../../../tests/data/signals/round4.jsonl");

/// `round4.jsonl` as measured once, with the statistical second opinion, before it became
/// tuning material (precision 0.961, recall 0.830; the lexicon alone had measured 0.953 and
/// 0.693 in the fourth round; both tables are in the README). It does NOT meet the issue's
/// targets: these floors guard the measured level.
const ROUND4_PRECISION: f64 = 0.96;
const ROUND4_RECALL: f64 = 0.83;
const ROUND4_RECALL_FLOORS: [(&str, f64); 11] = [
    ("da", 0.68),
    ("de", 0.81),
    ("en", 0.87),
    ("es", 1.0),
    ("fi", 0.81),
    ("fr", 0.81),
    ("it", 0.81),
    ("nl", 0.81),
    ("pl", 0.81),
    ("pt", 0.75),
    ("sv", 0.93),
];

/// The fourth round's held-out set: 352 messages committed before the detector ever ran on them,
/// measured twice, table only (the lexicon's fourth round; then with the second opinion).
#[test]
fn round4_set_keeps_its_measured_level() {
    let scored = score_quietly("tests/data/signals/round4.jsonl", ROUND4_SET);
    assert_floors(
        "tests/data/signals/round4.jsonl",
        &scored,
        ROUND4_PRECISION,
        ROUND4_RECALL,
        &ROUND4_RECALL_FLOORS,
    );
}

/// A set measured clean with the second opinion: its table (misses never printed) against its
/// floors, then the lexicons' table alone on it, for the README's comparison.
fn assert_clean_measure(
    path: &str,
    data: &str,
    precision: f64,
    recall: f64,
    floors: &[(&str, f64)],
) {
    let scored = score_quietly(path, data);
    assert_eq!(scored.overall.n(), 352);
    assert_floors(path, &scored, precision, recall, floors);
    let file = path.rsplit('/').next().unwrap_or(path);
    let lexicon = score_quietly_by(&format!("{file}, the lexicon alone"), data, |text| {
        let toks = normalize::tokenize(text);
        detector::detect_with(text, &toks, &PhraseSet::default(), None, None).found
    });
    assert_eq!(lexicon.overall.n(), 352);
}

const ROUND5_SET: &str = include_str!("../../../tests/data/signals/round5.jsonl");

/// `round5.jsonl` as measured once, at the end of the fifth round (precision 0.994, recall
/// 0.920; the lexicon alone: 0.993 and 0.761; both tables are in the README), before the
/// second opinion trained on it. Recall did NOT meet the issue's targets (0.97 overall, 0.9 in
/// every language): these floors guard the measured level.
const ROUND5_PRECISION: f64 = 0.99;
const ROUND5_RECALL: f64 = 0.92;
const ROUND5_RECALL_FLOORS: [(&str, f64); 11] = [
    ("da", 0.81),
    ("de", 0.93),
    ("en", 1.0),
    ("es", 0.81),
    ("fi", 0.87),
    ("fr", 0.93),
    ("it", 1.0),
    ("nl", 0.93),
    ("pl", 0.93),
    ("pt", 0.93),
    ("sv", 0.93),
];

/// The fifth round's held-out set: 352 messages by an author who never saw the detector or the
/// other sets, committed before anything ran on them, measured once (table only), then
/// trained on in the sixth round.
#[test]
fn round5_set_keeps_its_measured_level() {
    assert_clean_measure(
        "tests/data/signals/round5.jsonl",
        ROUND5_SET,
        ROUND5_PRECISION,
        ROUND5_RECALL,
        &ROUND5_RECALL_FLOORS,
    );
}

const ROUND6_SET: &str = include_str!("../../../tests/data/signals/round6.jsonl");

/// `round6.jsonl` as measured once, in the sixth round (precision 0.981, recall 0.875; the
/// lexicon alone: 0.984 and 0.693; both tables are in the README), before the second opinion
/// trained on it in the seventh. Recall did NOT meet the issue's targets: these floors guard
/// the measured level.
const ROUND6_PRECISION: f64 = 0.98;
const ROUND6_RECALL: f64 = 0.87;
const ROUND6_RECALL_FLOORS: [(&str, f64); 11] = [
    ("da", 0.75),
    ("de", 0.81),
    ("en", 0.93),
    ("es", 0.87),
    ("fi", 0.87),
    ("fr", 0.87),
    ("it", 0.93),
    ("nl", 0.81),
    ("pl", 0.87),
    ("pt", 0.93),
    ("sv", 0.93),
];

/// The sixth round's held-out set: 352 messages by another author who never saw the detector
/// or the other sets (a different business per language), committed before anything ran on
/// them, measured once (table only); in the seventh round a development set, then trained on.
#[test]
fn round6_set_keeps_its_measured_level() {
    assert_clean_measure(
        "tests/data/signals/round6.jsonl",
        ROUND6_SET,
        ROUND6_PRECISION,
        ROUND6_RECALL,
        &ROUND6_RECALL_FLOORS,
    );
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// One broad-set message for the split check: its hash, its text and whether it is held out.
type SplitEntry = (u64, String, bool);

/// The held-out third is fixed by a rule, not by hand: within each (language, label) group,
/// ordered by the FNV-1a hash of the text, positions 0, 3, 6, … are held out. Recomputing it
/// from both files catches a message moved between them.
#[test]
fn the_broad_split_follows_its_rule() {
    let mut groups: std::collections::BTreeMap<(String, bool), Vec<SplitEntry>> =
        Default::default();
    for (data, held) in [(TUNE_SET, false), (HELDOUT_SET, true)] {
        for case in parse_cases("broad set", data) {
            groups
                .entry((case.lang, case.human_request))
                .or_default()
                .push((fnv1a(&case.text), case.text, held));
        }
    }
    let (mut total, mut held_out, group_count) = (0, 0, groups.len());
    for ((lang, label), mut group) in groups {
        group.sort();
        assert!(group.len() >= 20, "{lang}/{label}: only {}", group.len());
        for (i, (_, text, held)) in group.iter().enumerate() {
            assert_eq!(
                *held,
                i % 3 == 0,
                "{lang}/{label}: {text:?} is in the wrong file"
            );
            total += 1;
            held_out += usize::from(*held);
        }
        let texts: std::collections::BTreeSet<&str> =
            group.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(
            texts.len(),
            group.len(),
            "{lang}/{label}: a message appears twice"
        );
    }
    assert!(total >= 660, "the broad set has {total} messages");
    // Each group holds out ceil(len / 3): a third, give or take the rounding.
    assert!(
        held_out * 3 >= total && held_out * 3 <= total + 2 * group_count,
        "{held_out} of {total} held out"
    );
}

#[test]
fn every_embedded_lexicon_parses_and_is_non_empty() {
    for (file, code, text) in LEXICONS {
        assert!(
            file.ends_with(&format!("/{code}.txt")),
            "{file} is not named after {code}"
        );
        let spec = parse_lexicon(file, code, text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.code, code);
        for (list, entries) in [
            ("persons", &spec.persons),
            ("depts", &spec.depts),
            ("pronouns", &spec.pronouns),
            ("contact", &spec.contact),
            ("desire", &spec.desire),
            ("negations", &spec.negations),
            ("linkers", &spec.linkers),
            ("past", &spec.past),
            ("bots", &spec.bots),
        ] {
            assert!(!entries.is_empty(), "{file}: [{list}] is empty");
        }
        for entry in spec.persons.iter().chain(&spec.contact) {
            assert!(
                !entry.starts_with('#'),
                "{file}: a comment was read as {entry:?}"
            );
        }
    }
    assert_eq!(LANGS.len(), LEXICONS.len());
    for lang in LANGS.iter() {
        assert!(!lang.vocab.is_empty(), "{} compiled to no words", lang.code);
    }
}

/// A complete lexicon with one entry per list, to break one line at a time.
fn small_lexicon() -> String {
    let sections = super::lexicon::SECTIONS;
    let mut text = String::from("# a comment\n\nverb_final = no\n");
    for section in sections {
        text.push_str(&format!(
            "\n# what {section} is\n[{section}]\n{section} entry\n"
        ));
    }
    text
}

#[test]
fn a_lexicon_skips_comments_and_blank_lines() {
    let text = small_lexicon().replace("[persons]\n", "[persons]\n  # not a person\n\n  human  \n");
    let spec = parse_lexicon("xx.txt", "xx", &text).expect("valid");
    assert_eq!(spec.persons, vec!["human", "persons entry"]);
    assert_eq!(spec.infinitive_endings, vec!["infinitive_endings entry"]);
    assert!(!spec.verb_final);
}

#[test]
fn a_malformed_lexicon_line_is_reported_with_file_and_line() {
    let error = |text: &str| parse_lexicon("xx.txt", "xx", text).expect_err("malformed");
    // The last match, so a duplicated header is found at its second copy.
    let line_of = |text: &str, needle: &str| {
        text.lines()
            .enumerate()
            .filter(|(_, l)| *l == needle)
            .map(|(i, _)| i + 1)
            .last()
            .expect("the needle is a line")
    };

    let text = small_lexicon().replace("[linkers]", "[linker]");
    let e = error(&text);
    assert_eq!(
        (e.file.as_str(), e.line),
        ("xx.txt", line_of(&text, "[linker]"))
    );
    assert!(e.message.contains("unknown section [linker]"), "{e}");
    assert!(
        e.to_string()
            .starts_with(&format!("xx.txt:{}: ", line_of(&text, "[linker]"))),
        "{e}"
    );

    let text = small_lexicon().replace("[bots]", "[bots");
    let e = error(&text);
    assert_eq!(e.line, line_of(&text, "[bots"), "{e}");

    let text = small_lexicon().replace("[past]", "[persons]");
    let e = error(&text);
    assert_eq!(e.line, line_of(&text, "[persons]"), "{e}");
    assert!(e.message.contains("twice"), "{e}");

    let text = small_lexicon().replace("verb_final = no", "human");
    let e: LexiconError = error(&text);
    assert_eq!(e.line, 3, "{e}");

    let text = small_lexicon().replace("verb_final = no", "verb_final = maybe");
    assert_eq!(error(&text).line, 3);

    let text = small_lexicon().replace("verb_final = no", "verb_final = no\nverb_final = yes");
    assert_eq!(error(&text).line, 4);

    let text = small_lexicon().replace("[think]\nthink entry\n", "");
    let e = error(&text);
    assert_eq!(e.line, text.lines().count(), "{e}");
    assert!(e.message.contains("missing section [think]"), "{e}");
}

const EVERYDAY_HELDOUT: &str = include_str!("../../../tests/data/signals/everyday-heldout.jsonl");

/// Ordinary messages that ask for nobody, many with a request's verbs ("get me a refund",
/// "kan du hjälpa mig"), held out of the second opinion's training: none is taken for a
/// request.
#[test]
fn everyday_messages_ask_for_nobody() {
    let scored = score(
        "tests/data/signals/everyday-heldout.jsonl",
        EVERYDAY_HELDOUT,
    );
    assert_eq!(scored.overall.n(), 165);
    assert_eq!(scored.overall.fp, 0, "{:#?}", scored.misses);
}

/// Where the lexicon finds no request, the trained model may: the answer says so, names the
/// language, quotes the customer's own words with the score, and `human_request.model: false`
/// turns it off.
#[test]
fn the_second_opinion_decides_where_the_lexicon_is_silent_and_says_so() {
    let text = "un vrai conseiller doit voir ça";
    let toks = normalize::tokenize(text);
    let lexicon = detector::detect_with(text, &toks, &PhraseSet::default(), None, None).found;
    assert_eq!(lexicon, None, "the lexicon alone finds no request");
    let score = model::model().score_of(&toks);
    assert!(score >= model::MIN_SCORE, "model score {score}");

    let m = detect_human_request(text, &[]).expect("the second opinion decides");
    assert!(m.by_model);
    assert_eq!(m.lang, "fr");
    let (quoted, tail) = m.matched.rsplit_once(" (model score ").expect("the score");
    assert_eq!(tail, format!("{score:.2})"));
    for piece in quoted.split(", ") {
        let words = piece.trim_matches('"');
        assert!(
            !words.is_empty() && text.contains(words),
            "{piece:?} quotes {text:?}"
        );
    }

    let on = evaluate(&default_rules(), &input(text));
    assert!(on.handoff);
    assert_eq!(on.request_score, Some((score * 1000.0).round() / 1000.0));
    assert_eq!(on.reason, Some(HandoffReason::UserRequested));
    assert_eq!(on.rule.as_deref(), Some("human_request:fr"));
    assert_eq!(on.matched.as_deref(), Some(m.matched.as_str()));

    let mut rules = SignalRules::default();
    rules.human_request.model = false;
    let off = evaluate(
        &CompiledRules::compile(&rules, 3).expect("valid"),
        &input(text),
    );
    assert!(!off.handoff, "{off:?}");
    // The lexicon's own requests do not depend on it.
    let direct = evaluate(
        &CompiledRules::compile(&rules, 3).expect("valid"),
        &input("talk to a human"),
    );
    assert!(direct.handoff);
    // A request the lexicons found is not put to the model.
    let lexical = evaluate(&default_rules(), &input("talk to a human"));
    assert!(lexical.handoff);
    assert_eq!(lexical.request_score, None);
}

/// The second opinion does not read negations or tenses, so it never judges a statement in
/// which the lexicon cancelled a mention: each of these, judged whole by the model, scores as
/// a request, and none is one.
#[test]
fn the_second_opinion_leaves_out_what_the_lexicon_cancelled() {
    for text in [
        "I would never want to speak to a human about this",
        "Never transfer me to an operator again",
        "Ik wil niet met een medewerker praten",
        "Je ne veux pas parler à un humain",
        "J'ai parlé à un conseiller hier",
        "En halua puhua ihmisen kanssa",
        "Ich möchte nicht mit einem Mitarbeiter sprechen",
        "Ieri ho parlato con un operatore",
        "Não quero falar com um humano",
    ] {
        let alone = model::model().score_of(&normalize::tokenize(text));
        assert!(
            alone >= model::MIN_SCORE,
            "{text:?}: the model alone scores {alone}"
        );
        assert_eq!(detect_human_request(text, &[]), None, "{text:?}");
    }
    // With a model that takes everything for a request, what reaches it is plain: only the
    // statements the lexicon did not cancel.
    let yes = model::always(0.99);
    let judged = |text: &str| {
        let toks = normalize::tokenize(text);
        detector::detect_with(text, &toks, &PhraseSet::default(), None, Some((&yes, 0.8))).found
    };
    assert_eq!(judged("I spoke to an agent yesterday"), None);
    assert_eq!(judged("Je ne veux pas parler à un humain"), None);
    let m = judged("I spoke to an agent yesterday. the manager was rude").expect("judged");
    assert!(m.by_model, "{m:?}");
    assert_eq!(m.matched, "\"manager\" (model score 0.99)");
}

/// Ordinary messages share a request's verbs ("get me a …", "can you help me") but mention
/// nobody: the second opinion counts a message that mentions no person, team or bot only when
/// it is near certain (0.95), so a model that gives everything 0.9 takes none of these, while
/// it does take a message that mentions someone.
#[test]
fn the_second_opinion_needs_someone_mentioned() {
    let likely = model::always(0.9);
    let judged = |text: &str| {
        let toks = normalize::tokenize(text);
        detector::detect_with(
            text,
            &toks,
            &PhraseSet::default(),
            None,
            Some((&likely, 0.7)),
        )
        .found
    };
    for text in [
        "the manager at your store",
        "is this a bot",
        "vielleicht ein Mitarbeiter",
    ] {
        assert!(
            judged(text).is_some_and(|m| m.by_model),
            "{text:?} mentions someone"
        );
    }
    for text in [
        "get me a refund",
        "can you get me a discount code",
        "talk to me about pricing",
        "I need to speak about a refund",
        "kan du hjälpa mig",
        "kan du hjælpe mig",
    ] {
        assert_eq!(judged(text), None, "{text:?}");
        assert_eq!(detect_human_request(text, &[]), None, "{text:?}");
    }
}

/// A message close below the second opinion's threshold hands nothing off but reports its
/// score, so a flow can ask the customer instead.
#[test]
fn a_near_miss_reports_its_score_without_handing_off() {
    let e = evaluate(
        &default_rules(),
        &input("a real employee needs to see this"),
    );
    assert!(!e.handoff, "{e:?}");
    let score = e.request_score.expect("the second opinion judged it");
    assert!((0.5..model::MIN_SCORE).contains(&score), "{score}");
}

const ROUND7_SET: &str = include_str!("../../../tests/data/signals/round7.jsonl");

/// `round7.jsonl` as first measured in the seventh round, with the letter runs (precision 0.977,
/// recall 0.955; the lexicon alone: 0.978 and 0.750; both tables are in the README). It was
/// then measured once more without them, became the round's development set (its misses read)
/// and was trained on; these floors guard the first measure.
const ROUND7_PRECISION: f64 = 0.97;
const ROUND7_RECALL: f64 = 0.95;
const ROUND7_RECALL_FLOORS: [(&str, f64); 11] = [
    ("da", 1.0),
    ("de", 0.93),
    ("en", 0.87),
    ("es", 1.0),
    ("fi", 1.0),
    ("fr", 1.0),
    ("it", 0.93),
    ("nl", 1.0),
    ("pl", 0.93),
    ("pt", 0.87),
    ("sv", 0.93),
];

/// The seventh round's first clean set: 352 messages by yet another author who never saw the
/// detector or any file here (a different business per language), committed before anything
/// ran on them; measured, then tuned and trained on (see `ROUND7_PRECISION`).
#[test]
fn round7_set_keeps_its_measured_level() {
    assert_clean_measure(
        "tests/data/signals/round7.jsonl",
        ROUND7_SET,
        ROUND7_PRECISION,
        ROUND7_RECALL,
        &ROUND7_RECALL_FLOORS,
    );
}

const ROUND8_SET: &str = include_str!("../../../tests/data/signals/round8.jsonl");

/// `round8.jsonl` as measured once, at the end of the seventh round (precision 0.971, recall
/// 0.938; the lexicon alone: 0.970 and 0.744; both tables are in the README). Neither met the
/// issue's targets (precision 0.98, recall 0.97, every language 0.9): these floors guard the
/// measured level. In the eighth round it became the development set and was trained on.
const ROUND8_PRECISION: f64 = 0.97;
const ROUND8_RECALL: f64 = 0.93;
const ROUND8_RECALL_FLOORS: [(&str, f64); 11] = [
    ("da", 1.0),
    ("de", 0.93),
    ("en", 0.81),
    ("es", 0.93),
    ("fi", 0.93),
    ("fr", 1.0),
    ("it", 1.0),
    ("nl", 0.87),
    ("pl", 1.0),
    ("pt", 0.93),
    ("sv", 0.87),
];

/// The seventh round's second clean set: 352 messages by another author who never saw the
/// detector or any file here (a different business per language), committed before anything
/// ran on them and measured once; the eighth round's development set (its misses read), then
/// trained on.
#[test]
fn round8_set_keeps_its_measured_level() {
    assert_clean_measure(
        "tests/data/signals/round8.jsonl",
        ROUND8_SET,
        ROUND8_PRECISION,
        ROUND8_RECALL,
        &ROUND8_RECALL_FLOORS,
    );
}

// The second opinion's numeric core, `baton-logreg` (its own crate so that it is compiled
// optimised in debug builds; its checks live here, where `cargo test` runs them).

/// One feature that always means "yes", one that always means "no", one that means nothing:
/// the fit leans on the first two, and its probabilities follow the labels.
#[test]
fn separable_features_get_weights_of_their_sign() {
    let rows = vec![
        (vec![0, 2], 1.0),
        (vec![0], 1.0),
        (vec![1, 2], -1.0),
        (vec![1], -1.0),
    ];
    let (w, bias) = baton_logreg::fit(&rows, 3, 4.0);
    assert!(w[0] > 1.0 && w[1] < -1.0, "{w:?}");
    assert!(w[2].abs() < 1e-6, "{w:?}");
    assert!(bias.abs() < 1e-6, "{bias}");
    assert!(baton_logreg::sigmoid(bias + w[0]) > 0.8 && baton_logreg::sigmoid(bias + w[1]) < 0.2);
    // At the minimum the gradient is zero: each weight equals c times the sum of
    // y · σ(−y·z) over the rows that have its feature, and that sum is zero for the bias.
    let pull = |j: Option<usize>| -> f64 {
        rows.iter()
            .filter(|(row, _)| j.is_none_or(|j| row.contains(&j)))
            .map(|(row, y)| {
                let z = bias + row.iter().map(|&k| w[k]).sum::<f64>();
                y * baton_logreg::sigmoid(-y * z)
            })
            .sum()
    };
    for j in 0..3 {
        assert!(
            (w[j] - 4.0 * pull(Some(j))).abs() < 1e-6,
            "feature {j}: {w:?}"
        );
    }
    assert!(pull(None).abs() < 1e-6);
    // The same rows give the same weights, bit for bit.
    assert_eq!(baton_logreg::fit(&rows, 3, 4.0), (w, bias));
}

/// With no features, the bias alone fits the share of positive labels: log(3/1).
#[test]
fn the_bias_alone_fits_the_base_rate() {
    let rows = vec![(vec![], 1.0), (vec![], 1.0), (vec![], 1.0), (vec![], -1.0)];
    let (w, bias) = baton_logreg::fit(&rows, 0, 4.0);
    assert!(w.is_empty());
    assert!((bias - 3f64.ln()).abs() < 1e-5, "{bias}");
}

#[test]
fn sigmoid_is_stable_at_the_extremes() {
    assert_eq!(baton_logreg::sigmoid(0.0), 0.5);
    assert!(baton_logreg::sigmoid(800.0) == 1.0 && baton_logreg::sigmoid(-800.0) == 0.0);
    assert!((baton_logreg::sigmoid(2.0) + baton_logreg::sigmoid(-2.0) - 1.0).abs() < 1e-15);
}

/// A clean set's test: the set scored quietly (its table printed, never its misses) must keep
/// the precision, recall and per-language recall (`da` to `sv`, in that order) measured when it
/// was first scored.
macro_rules! clean_set {
    (
        $(#[$doc:meta])*
        $test:ident, $set:expr, $file:literal, $precision:expr, $recall:expr, $floors:expr
    ) => {
        $(#[$doc])*
        #[test]
        fn $test() {
            let floors: [f64; 11] = $floors;
            let per_lang: Vec<(&str, f64)> = CLEAN_SET_LANGS.into_iter().zip(floors).collect();
            assert_clean_measure(
                concat!("tests/data/signals/", $file),
                $set,
                $precision,
                $recall,
                &per_lang,
            );
        }
    };
}

/// The order of a [`clean_set!`]'s per-language floors.
const CLEAN_SET_LANGS: [&str; 11] = [
    "da", "de", "en", "es", "fi", "fr", "it", "nl", "pl", "pt", "sv",
];

const ROUND9_SET: &str = include_str!("../../../tests/data/signals/round9.jsonl");

clean_set! {
    /// `round9.jsonl` as measured once, at the end of the eighth round (precision 0.981, recall
    /// 0.886; the lexicon alone: 0.992 and 0.665; both tables are in the README). Precision met
    /// the issue's target (0.98); recall did NOT (0.97 overall, 0.9 in every language): these floors
    /// guard the measured level. In the ninth round it became the development set and was trained
    /// on.
    ///
    /// The eighth round's clean set: 352 messages by another author who never saw the detector or
    /// any file here (a different business per language), committed before anything ran on them
    /// and measured once; the ninth round's development set (its misses read), then trained on.
    round9_set_keeps_its_measured_level, ROUND9_SET, "round9.jsonl", 0.98, 0.88,
    [0.75, 0.81, 0.93, 0.93, 0.87, 0.93, 0.87, 0.93, 0.87, 0.93, 0.87]
}

/// The ninth round's frames from `round9.jsonl`'s misses, in words of their own: a case handed on
/// in the passive, escalation in each language's own inflection, and "is anyone there?".
#[test]
fn passive_hand_ons_escalations_and_anyone_there() {
    for (lang, asks, others) in [
        (
            "en",
            &["is anybody there??", "hello is anyone there"][..],
            &["was anybody home when the parcel came?"][..],
        ),
        (
            "fr",
            &["je voudrais que ma réclamation soit transmise à un responsable"][..],
            &["mon dossier a été transmis au service comptable hier"][..],
        ),
        (
            "it",
            &["chiedo che la pratica venga inoltrata a un responsabile"][..],
            &["la fattura venga inoltrata a mio marito per email"][..],
        ),
        (
            "de",
            &["hallo?? ist da überhaupt jemand"][..],
            &["ist da überhaupt Zucker drin?"][..],
        ),
        (
            "da",
            &["jeg vil have sagen eskaleret nu"][..],
            &["er der nogen rabat på store ordrer?"][..],
        ),
        ("pl", &["proszę o eskalację, to trwa za długo"][..], &[][..]),
        ("pt", &["tem como escalar isso pra alguém?"][..], &[][..]),
    ] {
        check_cases(lang, asks, others);
    }
}

/// The tenth round's frames from `round10.jsonl`'s misses, in words of their own: escalation
/// in the passive, a callback in the passive, "anyone alive there?", and two look-alikes (a
/// verb one letter from a person noun; an operator "the other time").
#[test]
fn passive_escalations_callbacks_and_anyone_alive() {
    for (lang, asks, others) in [
        (
            "de",
            &["ich will, dass das eskaliert wird, sofort"][..],
            &["die Lage ist gestern eskaliert, jetzt ist alles wieder gut"][..],
        ),
        (
            "fr",
            &["je voudrais être rappelée demain matin svp"][..],
            &["j'ai été rappelé hier, merci"][..],
        ),
        (
            "sv",
            &["jobbar det någon levande själ hos er alls?"][..],
            &["ingen idé att ringa mig, mejla hellre"][..],
        ),
        ("da", &[][..], &["kan I levere på lørdag?"][..]),
        (
            "it",
            &[][..],
            &["l'operatore l'altra volta è stato gentilissimo, quanto costa la spedizione?"][..],
        ),
    ] {
        check_cases(lang, asks, others);
    }
}

/// The eleventh round's frames from `round11.jsonl`'s misses, in words of their own: a job
/// title as a person, being called back "by" someone, a filler inside "call me", "a person,
/// not a bot", and a colloquial "I don't need anyone".
#[test]
fn job_titles_callbacks_by_someone_and_person_not_bot() {
    for (lang, asks, others) in [
        (
            "da",
            &[
                "må jeg få en ekspedient i tale",
                "ring lige til mig i aften",
            ][..],
            &["ekspedienten i butikken var meget sød"][..],
        ),
        (
            "it",
            &["preferirei essere richiamata da un responsabile"][..],
            &["il personale in negozio è sempre gentile"][..],
        ),
        ("pl", &["człowiek a nie bot proszę"][..], &[][..]),
        (
            "fi",
            &[][..],
            &["en tarvii ketään soittamaan, sähköposti riittää"][..],
        ),
    ] {
        check_cases(lang, asks, others);
    }
}

const ROUND10_SET: &str = include_str!("../../../tests/data/signals/round10.jsonl");

clean_set! {
    /// `round10.jsonl` as measured once, at the end of the ninth round (precision 0.982, recall
    /// 0.949; the lexicon alone: 0.978 and 0.767; both tables are in the README). Precision met
    /// the issue's target (0.98); recall did NOT (0.97 overall; nl at 0.875 is under 0.9): its
    /// floors guard the measured level. In the tenth round it became the development set and was
    /// trained on.
    ///
    /// The ninth round's clean set: 352 messages by another author who never saw the detector or
    /// any file here (a different business per language), committed before anything ran on them
    /// and measured once; the tenth round's development set (its misses read), then trained on.
    round10_set_keeps_its_measured_level, ROUND10_SET, "round10.jsonl", 0.98, 0.94,
    [1.0, 0.93, 0.93, 0.93, 0.93, 0.93, 1.0, 0.87, 0.93, 1.0, 0.93]
}

const ROUND11_SET: &str = include_str!("../../../tests/data/signals/round11.jsonl");

clean_set! {
    /// `round11.jsonl` as measured once, at the end of the tenth round (precision 0.994, recall
    /// 0.892; the lexicon alone: 0.992 and 0.693; both tables are in the README). Precision met
    /// the issue's target (0.98); recall did NOT (0.97 overall, 0.9 in every language): its
    /// floors guard the measured level. In the eleventh round it became the development set and
    /// was trained on.
    ///
    /// The tenth round's clean set: 352 messages by another author who never saw the detector or
    /// any file here (a different business per language), committed before anything ran on them
    /// and measured once; the eleventh round's development set (its misses read), then trained on.
    round11_set_keeps_its_measured_level, ROUND11_SET, "round11.jsonl", 0.99, 0.89,
    [0.75, 0.93, 1.0, 1.0, 0.81, 0.93, 0.87, 0.87, 0.87, 0.87, 0.87]
}

const ROUND12_SET: &str = include_str!("../../../tests/data/signals/round12.jsonl");

clean_set! {
    /// `round12.jsonl` as measured once, at the end of the eleventh round (precision 1.000, recall
    /// 0.989; the lexicon alone: 1.000 and 0.778; both tables are in the README): the issue's
    /// targets (precision 0.98, recall 0.97, every language 0.9) met on this set; these floors
    /// guard the measured level.
    ///
    /// The eleventh round's clean set: 352 messages by another author who never saw the detector
    /// or any file here (a different business per language), committed before anything ran on
    /// them, never trained or tuned on; its misses are never printed (only its table).
    round12_set_keeps_its_measured_level, ROUND12_SET, "round12.jsonl", 0.99, 0.98,
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.93, 1.0, 1.0, 0.93, 1.0]
}

const ROUND13_SET: &str = include_str!("../../../tests/data/signals/round13.jsonl");

clean_set! {
    /// `round13.jsonl` as measured once with the same detector as `round12.jsonl`, nothing changed
    /// between the two (precision 0.972, recall 0.977; the lexicon alone: 0.992 and 0.733; both
    /// tables are in the README). Recall meets the issue's target (0.97); precision (0.98) and de's
    /// recall (0.875 against 0.9) do NOT: its floors guard the measured level.
    ///
    /// A second clean set for the eleventh round's detector: 352 messages by another author who
    /// never saw the detector or any file here, committed before anything ran on them, scored once
    /// with the detector unchanged since `round12.jsonl`; never trained or tuned on, its misses
    /// never printed (only its table).
    round13_set_keeps_its_measured_level, ROUND13_SET, "round13.jsonl", 0.97, 0.97,
    [1.0, 0.87, 1.0, 1.0, 0.93, 1.0, 1.0, 1.0, 0.93, 1.0, 1.0]
}

const ROUND14_SET: &str = include_str!("../../../tests/data/signals/round14.jsonl");

clean_set! {
    /// `round14.jsonl` as measured once with the same detector as `round12.jsonl` and
    /// `round13.jsonl`, nothing changed (precision 0.988, recall 0.949; the lexicon alone: 0.992
    /// and 0.705; both tables are in the README). Precision meets the issue's target; recall
    /// (0.97) and de's and fr's (0.875 against 0.9) do NOT: its floors guard the measured level.
    ///
    /// A third clean set for the eleventh round's detector, by another author who never saw the
    /// detector or any file here, committed before anything ran on it and pooled with the other
    /// two whatever it gave; never trained or tuned on, its misses never printed.
    round14_set_keeps_its_measured_level, ROUND14_SET, "round14.jsonl", 0.98, 0.94,
    [1.0, 0.87, 0.93, 1.0, 0.93, 0.87, 0.93, 0.93, 1.0, 1.0, 0.93]
}

/// The eleventh round's detector on its three clean sets together (1 056 messages by three
/// authors, never trained or tuned on): the issue's targets, which hold there (precision 0.987,
/// recall 0.972, every language 0.917 or more). Only the table is printed.
#[test]
fn the_clean_sets_together_meet_the_issue_targets() {
    let all = format!("{ROUND12_SET}\n{ROUND13_SET}\n{ROUND14_SET}");
    let name = "round12.jsonl + round13.jsonl + round14.jsonl";
    let scored = score_quietly(name, &all);
    assert_eq!(scored.overall.n(), 1056);
    assert_issue_targets(name, &scored);
}
